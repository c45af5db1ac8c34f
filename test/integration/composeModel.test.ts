import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './engine.js';
import { errorText, freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { execIn, projectObjects, removeProject } from './stacksHelpers.js';

/*
 * Compose files as users write them, deployed over MCP stdio against the real Engine: extends from
 * another file, include with env_file, YAML anchors and merge keys, env_file long syntax, .env
 * chains, a namespaced sysctl, ulimits, ipam with a fixed ipv4_address, expose and
 * deploy.restart_policy. Checked on the Engine with docker inspect and get_container_info.
 */

let mcp: TestClient;
const projects: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'dom-compose-model-'));
// A subnet unlikely to be taken by other tests running on the same Engine.
const octet = randomInt(10, 250);
const subnet = `10.219.${octet}.0/24`;
const fixedIp = `10.219.${octet}.10`;

function project(): string {
  const name = uniqueName('cm');
  projects.push(name);
  return name;
}

function write(path: string, text: string): void {
  mkdirSync(join(tmp, path, '..'), { recursive: true });
  writeFileSync(join(tmp, path), text);
}

beforeAll(async () => {
  // A history file of its own: the shared default may hold another version's schema.
  mcp = await startClient({ args: ['--file-root', tmp], env: { DOM_HISTORY_PATH: join(tmp, 'history.db') } });
  const port = await freePort();
  write('.env', ['BASE=dom-test', 'IMAGE="${IMAGE:-${BASE}/busybox:1}"', 'WEB_PORT=' + String(port)].join('\n'));
  write(
    'compose.yaml',
    [
      'include:',
      '  - path: db/compose.yaml',
      '    env_file: db.env',
      'x-sleep: &sleep',
      '  command: sleep 3600',
      '  stop_grace_period: 1s',
      'x-limits: &limits',
      '  ulimits:',
      '    nofile: {soft: 1024, hard: 2048}',
      'services:',
      '  web:',
      '    <<: [*sleep, *limits]',
      '    extends: {file: common/base.yaml, service: base}',
      '    env_file:',
      '      - path: web.env',
      '      - path: missing.env',
      '        required: false',
      '    environment: {ROLE: web}',
      '    sysctls:',
      '      net.ipv4.ip_local_port_range: "20000 30000"',
      '    expose: ["9000"]',
      '    ports: ["127.0.0.1:${WEB_PORT}:9000"]',
      '    deploy:',
      '      restart_policy: {condition: on-failure, max_attempts: 2}',
      '    networks:',
      '      back: {ipv4_address: ' + fixedIp + '}',
      '    depends_on:',
      '      db: {condition: service_started}',
      '      optional: {condition: service_started, required: false}',
      'networks:',
      '  back:',
      '    ipam:',
      '      config: [{subnet: ' + subnet + '}]',
    ].join('\n'),
  );
  write(
    'common/base.yaml',
    [
      'services:',
      '  base:',
      '    image: ${IMAGE}',
      '    labels: {tier: front}',
      '    environment: {ROLE: base, FROM_BASE: "yes"}',
    ].join('\n'),
  );
  write('web.env', 'GREETING=${BASE}-hello\n');
  write('db.env', 'DB_IMAGE=dom-test/busybox:1\n');
  write(
    'db/compose.yaml',
    [
      'services:',
      '  db:',
      '    image: ${DB_IMAGE}',
      '    command: ["sleep", "3600"]',
      '    stop_grace_period: 1s',
      '    platform: linux/s390x',
    ].join('\n'),
  );
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all(projects.map(removeProject));
  rmSync(tmp, { recursive: true, force: true });
});

describe('Compose files as users write them', () => {
  it('deploys extends + include + anchors + env_file long syntax + sysctls + ulimits + ipam/ipv4_address', async () => {
    const name = project();
    const r = await mcp.call('deploy_application_stack', {
      name,
      file: join(tmp, 'compose.yaml'),
      wait: 'running',
      timeout: 120,
    });
    expect(r.isError, errorText(r)).toBeFalsy();

    const web = await docker.getContainer(`${name}-web-1`).inspect();
    expect(web.Config.Image).toBe('dom-test/busybox:1');
    expect(web.Config.Cmd).toEqual(['sleep', '3600']);
    expect(web.Config.Env).toEqual(expect.arrayContaining(['ROLE=web', 'FROM_BASE=yes', 'GREETING=dom-test-hello']));
    expect(web.Config.Labels.tier).toBe('front');
    expect(Object.keys(web.Config.ExposedPorts ?? {})).toContain('9000/tcp');
    expect(web.HostConfig.Sysctls).toEqual({ 'net.ipv4.ip_local_port_range': '20000 30000' });
    expect(web.HostConfig.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
    expect(web.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 2 });
    expect(web.NetworkSettings.Networks[`${name}_back`]?.IPAddress).toBe(fixedIp);

    // The sysctl is really in force inside the container's network namespace.
    const range = await execIn(`${name}-web-1`, ['cat', '/proc/sys/net/ipv4/ip_local_port_range']);
    expect(range.output.trim().split(/\s+/)).toEqual(['20000', '30000']);
    const info = await mcp.ok('get_container_info', { id: `${name}-web-1` });
    expect(JSON.stringify(info)).toMatch(/running/);

    const db = await docker.getContainer(`${name}-db-1`).inspect();
    expect(db.State.Running).toBe(true);
    expect(db.Config.Image).toBe('dom-test/busybox:1');

    const net = await docker.getNetwork(`${name}_back`).inspect();
    expect(net.IPAM?.Config).toEqual([expect.objectContaining({ Subnet: subnet })]);

    const warnings = (r.structuredContent as { warnings: string[] }).warnings.join('\n');
    expect(warnings).toMatch(/"optional" is not defined; skipped \(required: false\)/);
    expect(warnings).toMatch(/services\.db\.platform: "linux\/s390x" differs from the Engine's linux\/amd64/);

    const again = await mcp.call('deploy_application_stack', {
      name,
      file: join(tmp, 'compose.yaml'),
      wait: 'running',
      timeout: 120,
    });
    expect(again.isError, errorText(again)).toBeFalsy();
    expect((again.structuredContent as { plan: { summary: Record<string, number> } }).plan.summary).toMatchObject({
      keep: 2,
      create: 0,
      recreate: 0,
    });
  });

  it('a dry run of the same files plans everything and leaves nothing on the Engine', async () => {
    const name = project();
    const r = await mcp.call('deploy_application_stack', { name, file: join(tmp, 'compose.yaml'), dry_run: true });
    expect(r.isError, errorText(r)).toBeFalsy();
    const plan = (r.structuredContent as { plan: { summary: Record<string, number> } }).plan;
    expect(plan.summary).toMatchObject({ create: 2 });
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('refuses network_mode host by policy, naming the setting that allows it', async () => {
    write('host.yaml', ['services:', '  h:', '    image: dom-test/busybox:1', '    network_mode: host'].join('\n'));
    const name = project();
    await mcp.fails(
      'deploy_application_stack',
      { name, file: join(tmp, 'host.yaml'), dry_run: true },
      'denied',
      /DOM_ALLOW_HOST_NETWORK=1/,
    );
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('reads extended and included files only inside the file roots', async () => {
    write('outside.yaml', ['services:', '  s:', '    extends: {file: /etc/passwd, service: x}'].join('\n'));
    const name = project();
    const r = await mcp.call('deploy_application_stack', { name, file: join(tmp, 'outside.yaml'), dry_run: true });
    expect(r.isError).toBe(true);
    expect(errorText(r)).not.toMatch(/root:/);
    expect(errorText(r)).toMatch(/passwd/);
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('network_mode service: and volumes_from a service of the same stack deploy, and an unchanged redeploy keeps both', async () => {
    write(
      'shared.yaml',
      [
        'services:',
        '  db:',
        '    image: dom-test/busybox:1',
        '    command: sleep 3600',
        '    stop_grace_period: 1s',
        '    volumes: [data:/data]',
        '  sidecar:',
        '    image: dom-test/busybox:1',
        '    command: sleep 3600',
        '    stop_grace_period: 1s',
        '    network_mode: service:db',
        '    volumes_from: ["db:ro"]',
        'volumes: {data: {}}',
      ].join('\n'),
    );
    const name = project();
    const first = await mcp.call('deploy_application_stack', {
      name,
      file: join(tmp, 'shared.yaml'),
      wait: 'running',
      timeout: 120,
    });
    expect(first.isError, errorText(first)).toBeFalsy();
    const db = await docker.getContainer(`${name}-db-1`).inspect();
    const sidecar = await docker.getContainer(`${name}-sidecar-1`).inspect();
    expect(sidecar.State.Running).toBe(true);
    expect([`container:${name}-db-1`, `container:${db.Id}`]).toContain(sidecar.HostConfig.NetworkMode);
    expect(sidecar.HostConfig.VolumesFrom).toEqual([`${name}-db-1:ro`]);
    expect(sidecar.Mounts.map((m) => m.Destination)).toContain('/data');

    const again = await mcp.call('deploy_application_stack', {
      name,
      file: join(tmp, 'shared.yaml'),
      wait: 'running',
      timeout: 120,
    });
    expect(again.isError, errorText(again)).toBeFalsy();
    expect((again.structuredContent as { plan: { summary: Record<string, number> } }).plan.summary).toMatchObject({
      keep: 2,
      create: 0,
      recreate: 0,
    });
  });
});
