# Sourced by the postgis image on the first start of an empty data volume (mounted as
# /docker-entrypoint-initdb.d/20_gridatlas.sh by docker-compose.yml), as the admin: the app role
# as scripts/pg.sh makes it locally. No superuser: LOGIN, CREATEDB (pytest's test databases), owner
# of its database; postgis and pg_trgm created by the admin, in template1 too so that the databases
# the app role creates have them. Its password was generated into the gridatlas-db volume.
gridatlas_password=$(cat /run/gridatlas-db/db_password)
psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE gridatlas LOGIN NOSUPERUSER CREATEDB PASSWORD '$gridatlas_password';
\c template1
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE DATABASE gridatlas OWNER gridatlas;
\c gridatlas
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SQL
unset gridatlas_password
