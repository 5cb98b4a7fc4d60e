# sealwatch pipeline image. Validated, not run, on the development machines
# (no Docker engine there): see README "Docker Compose".
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY simulators ./simulators
COPY config ./config
COPY scripts/ensure-built.mjs ./scripts/ensure-built.mjs
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
# a larger young generation: the stages allocate a short-lived object or buffer per message (docs/operations.md)
ENV NODE_OPTIONS=--max-semi-space-size=64
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY src/api/dashboard ./src/api/dashboard
USER node
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["run"]
