# Image for docker-compose.yml. Node 24 runs the TypeScript sources directly; only the admin UI is built (Vite).
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: see docs/adr/0001 (the lockfile may lack other platforms' optional binaries).
RUN npm install --no-audit --no-fund
COPY . .
RUN node scripts/webBuild.ts

FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
COPY --from=web /app/web/dist web/dist
ENV M3M_HOST=0.0.0.0 M3M_PORT=3000 M3M_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "cli/run.ts", "serve"]
