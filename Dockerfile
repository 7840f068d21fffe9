# The Plexus server (REST, GraphQL, UI). Neo4j runs separately (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund
RUN if [ -f web/vite.config.ts ]; then npm run build --workspace web; fi
ENV HOST=0.0.0.0 PORT=4000
EXPOSE 4000
CMD ["npx", "tsx", "server/src/main.ts"]
