# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    SERVICEDESK_DATA_DIR=/var/lib/servicedesk
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app servicedesk \
    && mkdir -p /var/lib/servicedesk && chown servicedesk /var/lib/servicedesk

WORKDIR /app
COPY . .
RUN pip install . gunicorn \
    && DJANGO_SETTINGS_MODULE=servicedesk.settings python manage.py compilemessages --ignore=.venv \
    && DJANGO_SETTINGS_MODULE=servicedesk.settings python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/servicedesk/media && chown -R servicedesk /var/lib/servicedesk

USER servicedesk
EXPOSE 8000
CMD ["gunicorn", "servicedesk.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
