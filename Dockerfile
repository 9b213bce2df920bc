# Caseload's image (docs/deploy.md, Docker): one image for every process of the Procfile.
#   web (the default command): gunicorn on $PORT, on every interface
#   worker:  docker run … caseload python manage.py run_huey
#   release: docker run … caseload sh -c "python manage.py migrate --noinput && python manage.py roles_sync"
# Configuration comes from the environment at run time (deploy/env.example); nothing secret is
# baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASELOAD_VAR_DIR=/app/var \
    GUNICORN_BIND_HOST=0.0.0.0 \
    PORT=8000

# pg_dump and pg_restore for manage.py backup and restore.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The runtime dependencies of setup.cfg at the exact versions of requirements.lock (the lock's
# test and bench tools stay out), in a layer of their own that a code change does not rebuild.
COPY setup.cfg requirements.lock ./
RUN python -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); \
print(c['options']['install_requires'])" > /tmp/requirements.txt \
    && pip install --constraint requirements.lock --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps -e .

# Static files, collected and compressed once, served by whitenoise. Production settings refuse
# to load without these values: build-time stand-ins, not kept in the image's environment.
RUN DJANGO_ENV=production SECRET_KEY=collectstatic-only SITE_URL=https://build.invalid \
    ANYMAIL_WEBHOOK_SECRET=build:only REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

RUN useradd --system --uid 10001 --user-group --no-create-home caseload \
    && install -d -o caseload -g caseload /app/var/backups
USER caseload

EXPOSE 8000
CMD ["gunicorn", "backoffice.wsgi:application", "--config", "deploy/gunicorn.conf.py"]
