# syntax=docker/dockerfile:1
# sgwatch container image: multi-stage, non-root, read-only root filesystem
# friendly (only /data is written).

# ---- build: compile TypeScript and the better-sqlite3 native module ----------
FROM node:22-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the
# native module is rebuilt explicitly below.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev
# Of better-sqlite3 the runtime needs only the compiled module: its sources,
# the SQLite amalgamation and the object files of the build (about 27 MB)
# stay in this stage.
RUN cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src binding.gyp \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

# ---- runtime: slim Node LTS, no compiler, no npm cache ----------------------
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    SGWATCH_CONFIG=/config/config.yaml \
    SGWATCH_DATABASE=/data/sgwatch.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY migrations ./migrations
RUN ln -s /app/bin/sgwatch.js /usr/local/bin/sgwatch \
 && mkdir -p /data /config \
 && chown node:node /data \
 && chmod 0700 /data
# The image's built-in unprivileged user (uid 1000).
USER node
VOLUME ["/data"]
# Healthy while every target is being polled; unhealthy (exit 4) while one is blind.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["sgwatch", "status", "--health"]
# Other commands: docker exec CONTAINER sgwatch status, or --entrypoint sgwatch.
ENTRYPOINT ["sgwatch", "run"]
