# One image for the API, the worker and the one-shot migration; docker-compose.yml picks
# the command and working directory. TypeScript runs through tsx, as in development.
FROM node:20-slim

ENV CI=true \
    # Prisma's CLI downloads a schema engine it cannot use offline; generate needs only WASM.
    PRISMA_SCHEMA_ENGINE_BINARY=/bin/false \
    # redis-memory-server (the launcher's embedded Redis) must never download Redis.
    REDISMS_DISABLE_POSTINSTALL=1

RUN npm install -g pnpm@12 && mkdir /app && chown node:node /app

# Never run as root: the node image ships an unprivileged "node" user.
USER node
WORKDIR /app

# The whole workspace before installing: pnpm needs every package's manifest to match the
# lockfile, and .dockerignore keeps node_modules, data and build output out.
COPY --chown=node:node . .
# devDependencies are needed at run time (tsx) and for db:generate (prisma).
RUN pnpm install --frozen-lockfile && pnpm db:generate

ENV NODE_ENV=production
EXPOSE 3000
WORKDIR /app/apps/api
CMD ["/app/node_modules/.bin/tsx", "src/main.ts"]
