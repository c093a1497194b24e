# Image for docker-compose.yml. Node 24 runs the TypeScript sources directly: there is no build step.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: see docs/adr/0001 (the lockfile may lack other platforms' optional binaries).
RUN npm install --omit=dev --no-audit --no-fund
COPY . .
ENV M3M_HOST=0.0.0.0 M3M_PORT=3000 M3M_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "cli/run.ts", "serve"]
