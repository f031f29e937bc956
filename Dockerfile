# syntax=docker/dockerfile:1
#
# Tocsin's image: the wheel built from this checkout, installed with the versions of
# constraints.txt into a virtual environment, run as an unprivileged user. espeak-ng comes
# inside the espeakng-loader wheel and needs only libstdc++, which the slim image has.
#
#   docker build -t tocsin .
#   docker run -p 8080:8080 -v tocsin:/var/lib/tocsin -e TOCSIN_PROVIDER=simulator tocsin
#
# The container serves by default (`tocsin serve`, a worker in the same process); any other
# command replaces `serve`: `docker run tocsin worker`, `docker run tocsin db upgrade`.
# docs/deployment.md has the rest, and deploy/compose/ a set-up with PostgreSQL and Redis.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY constraints.txt pyproject.toml README.md LICENSE ./
COPY src ./src
RUN python -m pip install --no-cache-dir --constraint constraints.txt build \
    && python -m build --wheel --outdir /dist .

FROM ${PYTHON_IMAGE}
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/tocsin/bin:$PATH
# A fixed uid, so a volume's owner is the same in every build and a platform that checks
# for a non-root user (Kubernetes' runAsNonRoot) can tell from the number.
RUN groupadd --system --gid 10001 tocsin \
    && useradd --system --uid 10001 --gid tocsin --home-dir /var/lib/tocsin \
        --no-create-home --shell /usr/sbin/nologin tocsin \
    && install --directory --owner tocsin --group tocsin --mode 0700 /var/lib/tocsin
# The wheel and the constraints reach this stage through mounts, so no layer keeps them. The
# last line fails the build if espeak-ng cannot speak in this image.
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    --mount=type=bind,source=constraints.txt,target=/tmp/constraints.txt \
    python -m venv /opt/tocsin \
    && /opt/tocsin/bin/pip install --no-cache-dir --constraint /tmp/constraints.txt /dist/*.whl \
    && tocsin --version \
    && python -c "from tocsin.telephony.tts import synthesize; synthesize('Tocsin is installed.')"

# Settings for a container; every other setting comes from the environment (TOCSIN_*).
ENV TOCSIN_HOST=0.0.0.0 \
    TOCSIN_PORT=8080 \
    TOCSIN_DATA_DIR=/var/lib/tocsin/data \
    TOCSIN_DATABASE_URL=sqlite:////var/lib/tocsin/tocsin.db
WORKDIR /var/lib/tocsin
# The SQLite database, the generated secret key, simulator output: keep them on a volume.
VOLUME ["/var/lib/tocsin"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('TOCSIN_PORT', '8080')}/healthz\", timeout=4)"]
ENTRYPOINT ["tocsin"]
CMD ["serve"]
