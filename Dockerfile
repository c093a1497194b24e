# Image for docker-compose.yml. Node 24 runs the TypeScript sources directly: there is no build step.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV M3M_HOST=0.0.0.0 M3M_PORT=3000 M3M_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 3000
CMD ["node", "cli/run.ts", "serve"]
