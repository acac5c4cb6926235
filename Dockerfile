# One image for web and workers. Build the frontend in a Node stage, then a Python stage.
FROM node:22-slim AS frontend
WORKDIR /app/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt requirements-ml.txt ./
# INSTALL_ML=0 gives a small web-only image (the web process never imports torch).
ARG INSTALL_ML=1
RUN pip install --no-cache-dir -r requirements.txt \
 && if [ "$INSTALL_ML" = "1" ]; then pip install --no-cache-dir torch==2.13.0 -r requirements-ml.txt; fi
COPY . .
COPY --from=frontend /app/frontend/dist /app/frontend/dist
# Never run as root: web and workers parse user uploads (imports, videos). The code stays
# root-owned and read-only to the app; only /data (media + var, the compose volume) is its.
# A volume created by an older root image keeps root ownership: chown it to 10001 once.
RUN groupadd --system --gid 10001 poseforge \
 && useradd --system --uid 10001 --gid poseforge --home-dir /data --shell /usr/sbin/nologin poseforge \
 && mkdir -p /data/media /data/var && chown -R poseforge:poseforge /data
ENV POSEFORGE_VAR_DIR=/data/var MEDIA_ROOT=/data/media
USER 10001:10001
EXPOSE 8000
# backend/common/server.py: gunicorn with (2 x cores) + 1 gthread workers (WEB_WORKERS overrides),
# the setup docs/operations.md and `make bench-saves` describe; docker-compose runs the same.
CMD ["python", "-m", "backend.common.server", "--host", "0.0.0.0", "--port", "8000"]
