FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 nodejs npm gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# collectstatic and compilemessages sign nothing, but the settings refuse to load without a key:
# a throwaway one for these two commands only, not in the image's environment. A container's key is
# generated on its first start (scripts/docker-entrypoint.sh) unless DJANGO_SECRET_KEY is given.
RUN pip install --no-cache-dir -e . && bash scripts/vendor_js.sh \
    && export DJANGO_SECRET_KEY=build-time-only-never-served \
    && python manage.py collectstatic --noinput -v 0 \
    && python manage.py compilemessages --ignore=node_modules -v 0
ENTRYPOINT ["bash", "/app/scripts/docker-entrypoint.sh"]
EXPOSE 8000
