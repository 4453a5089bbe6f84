# syntax=docker/dockerfile:1
# Hearth in a container: one Node.js 20 process on port 8000, models in a volume, fetched on first use.
#
#   docker build -t hearth .                          CPU (onnxruntime-node's bundled CPU binaries)
#   docker build --build-arg CUDA=1 -t hearth:cuda .  GPU: onnxruntime-node's CUDA 12 libraries on an nvidia/cuda base
#   docker compose up -d                              see compose.yaml (and compose.gpu.yaml)
#
# The steps are the project's own: `npm ci`, `npm run build`, `node dist/src/main.js`
# (scripts/serve.sh runs the same entry point; test/unit/docker.test.ts keeps them in step).

ARG CUDA=0
ARG NODE_IMAGE=node:20-bookworm-slim
# CUDA 12 + cuDNN 9: what onnxruntime-node 1.30's CUDA execution provider links against.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ── build: dependencies (with dev tools) and the TypeScript build ─────────────────────────
FROM ${NODE_IMAGE} AS build
ARG CUDA
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# .npmrc skips onnxruntime-node's CUDA download (onnxruntime-node-install=skip); the
# ONNXRUNTIME_NODE_INSTALL variable takes precedence over it (see
# node_modules/onnxruntime-node/script/install-utils.js), so CUDA=1 fetches the CUDA 12 provider.
RUN if [ "$CUDA" = "1" ]; then ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci --no-audit --no-fund; \
    else npm ci --no-audit --no-fund; fi
COPY tsconfig.json models.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ── runtime bases: Debian for the CPU image, nvidia/cuda (with Node copied in) for the GPU one ──
FROM ${NODE_IMAGE} AS runtime-0
FROM ${CUDA_IMAGE} AS runtime-1
COPY --from=build /usr/local/bin/node /usr/local/bin/node

FROM runtime-${CUDA} AS runtime
# Chromium for the crawl feature (#6), from Debian. Ubuntu (the CUDA base) ships chromium only as a
# snap, which cannot run in a container: the GPU image goes without until the crawl issue settles it.
RUN apt-get update \
 && if grep -q '^ID=debian' /etc/os-release; then \
      apt-get install -y --no-install-recommends ca-certificates chromium fonts-liberation; \
    else \
      apt-get install -y --no-install-recommends ca-certificates; \
    fi \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home hearth \
 && mkdir -p /data/models && chown -R hearth:hearth /data
WORKDIR /app
COPY --from=build --chown=hearth:hearth /app/package.json /app/models.json ./
COPY --from=build --chown=hearth:hearth /app/node_modules ./node_modules
COPY --from=build --chown=hearth:hearth /app/dist ./dist
ENV NODE_ENV=production \
    HEARTH_HOST=0.0.0.0 \
    HEARTH_PORT=8000 \
    HEARTH_DATA_DIR=/data \
    HF_HOME=/data/models
# /data holds the model cache (HF_HOME=/data/models, the Hugging Face hub layout) and the keys file
# (/data/keys.json). Listening on 0.0.0.0, Hearth refuses to start without an API key: set
# HEARTH_API_KEYS (see .env.example), add one with `hearth keys add`, or HEARTH_ALLOW_UNAUTHENTICATED=true.
VOLUME ["/data"]
USER hearth
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEARTH_PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains in-flight requests for up to HEARTH_DRAIN_TIMEOUT (25 s); give `docker stop` longer (-t 30).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
