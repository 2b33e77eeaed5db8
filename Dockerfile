FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 nodejs npm gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . && bash scripts/vendor_js.sh \
    && python manage.py collectstatic --noinput -v 0 \
    && python manage.py compilemessages --ignore=node_modules -v 0
EXPOSE 8000
