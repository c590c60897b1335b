# syntax=docker/dockerfile:1
# okta-partners-mcp over Streamable HTTP (+ legacy SSE) in a container.
# NOT built or run on the machine this was written on (it has no Docker engine): treat it as a
# reviewed starting point, and see docs/deploy.md before exposing it.

# ---- build: compile TypeScript, then drop dev dependencies ----
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The MCP Apps views are bundled at build time (vite, a dev dependency) into dist/views/.
COPY scripts/build-views.ts ./scripts/build-views.ts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: only dist/, production node_modules and package.json (read for --version) ----
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's own unprivileged user (uid 1000); files stay root-owned, so the process cannot
# rewrite its own code.
USER node
EXPOSE 3333
# slim has no curl: ask node itself. Loopback Host passes the server's Host check by default.
# If you change --port, change it here too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3333/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
# 0.0.0.0 so the published port reaches the server. Requests naming this container by any other
# Host than a loopback name (a service name, a domain) need --allowed-hosts: see docs/deploy.md.
# No secrets here: pass OKTA_PARTNER_TOKEN_FILE (a mounted secret) and OKTA_MCP_API_KEY at run time.
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "3333"]
