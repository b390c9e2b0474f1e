# The application image: web (gunicorn), worker and beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# WeasyPrint's libraries; the PostgreSQL client for pg_dump/pg_restore (backups).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
      postgresql-client curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 avataq

WORKDIR /app
COPY pyproject.toml README.md ./
COPY avataq ./avataq
COPY scholarships ./scholarships
COPY enrollment ./enrollment
COPY billing ./billing
COPY documents ./documents
COPY portal ./portal
COPY templates ./templates
COPY locale ./locale
COPY manage.py ./
RUN pip install -e . \
 && python -m avataq.dev.compilemessages \
 && DEBUG=0 python manage.py collectstatic --noinput \
 && chown -R avataq:avataq /app

USER avataq
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -fsS http://127.0.0.1:8000/health/ || exit 1
CMD ["gunicorn", "-c", "python:avataq.gunicorn_conf", "avataq.wsgi:application"]
