// The milestone stack (web + db + cache) as a Swarm stack, shared by test/swarm/stack.test.ts and bench/swarm.ts.

/** The milestone stack for a Swarm: dnsrr endpoints (no IPVS here), nginx published in host mode. */
export function milestoneSwarmCompose(webImage: string): string {
  return `
services:
  db:
    image: dom-test/postgres:1
    environment:
      POSTGRES_PASSWORD: s3cret-pw
      POSTGRES_USER: postgres
      POSTGRES_DB: app
    volumes:
      - db-data:/var/lib/postgresql/data
    networks: [app-network]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres"]
      interval: 1s
      timeout: 3s
      retries: 30
      start_period: 30s
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: ["node.role==manager"]
      resources:
        limits: { memory: 512m, cpus: '1' }
  cache:
    image: dom-test/redis:1
    networks: [app-network]
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
      timeout: 3s
      retries: 30
    deploy:
      endpoint_mode: dnsrr
      resources:
        limits: { memory: 256m, cpus: '0.5' }
  web:
    image: ${webImage}
    ports:
      - { target: 80, published: 8080, mode: host }
    networks: [app-network]
    depends_on: [db, cache]
    healthcheck:
      test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/80 && printf 'GET / HTTP/1.0\\\\r\\\\n\\\\r\\\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
      interval: 1s
      timeout: 3s
      retries: 3
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: { tier: frontend }
      placement:
        max_replicas_per_node: 1
        preferences: [{ spread: node.id }]
      restart_policy: { condition: any, delay: 1s }
      update_config: { parallelism: 1, delay: 1s, monitor: 8s, failure_action: rollback, order: stop-first }
      rollback_config: { parallelism: 3, monitor: 2s }
      resources:
        limits: { memory: 128m, cpus: '0.5' }
networks:
  app-network: {}
volumes:
  db-data: {}
`;
}
