# One image for every Airflow service in docker-compose.yml (api-server, scheduler,
# dag-processor, triggerer, init, and the celery worker).
#
# Dependencies come only from uv.lock (`uv sync --frozen`), with the uv the Makefile pins.
# The lock includes the Postgres provider (psycopg2) for the metadata database and the Celery
# provider (celery[redis]) for the `celery` profile. The auth manager is Airflow 3's default
# SimpleAuthManager (users from AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS); a production
# deployment should lock apache-airflow-providers-fab or an SSO auth manager instead.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/youth-safety/.venv

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /opt/youth-safety

# Third-party dependencies first (cached while only the code changes), then the project.
# The project is installed editable (uv's default; do not add --no-editable): config.REPO_ROOT
# is found from include/youth_safety/, and dbt_project/ and expectations/ sit beside it.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY include/ include/
RUN uv sync --frozen --no-dev

COPY dags/ dags/
COPY dbt_project/ dbt_project/
COPY expectations/ expectations/

# Same uid/gid convention as the official Airflow image (50000, group 0).
RUN useradd --uid 50000 --gid 0 --create-home --home-dir /home/airflow airflow \
    && mkdir -p /data/airflow \
    && chown -R 50000:0 /data

ENV PATH=/opt/youth-safety/.venv/bin:$PATH \
    YOUTH_SAFETY_HOME=/data \
    AIRFLOW_HOME=/data/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/youth-safety/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False

USER 50000
VOLUME ["/data"]

ENTRYPOINT ["airflow"]
CMD ["version"]
