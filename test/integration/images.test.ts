import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { startRegistry, type TestRegistry } from './registry.js';

const run = uniqueName('images');
const labels = { [TEST_LABEL]: run };
const dirs: string[] = [];
let registry: TestRegistry;
let withCreds: TestClient;
let noCreds: TestClient;
/** An image only the registry has: busybox plus a layer of its own, so a pull downloads a layer. */
let remoteRef: string;

function dockerConfigDir(auths: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dom-docker-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths }));
  return dir;
}

async function removeLocalImage(ref: string): Promise<void> {
  await docker
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}

beforeAll(async () => {
  registry = await startRegistry();
  const repo = `${registry.host}/dom-test/layered`;
  const builder = await docker.createContainer({
    Image: BUSYBOX,
    Cmd: ['sh', '-c', 'head -c 3000000 /dev/urandom > /blob'],
    Labels: labels,
  });
  await builder.start();
  await builder.wait();
  await builder.commit({ repo, tag: run, changes: `LABEL ${TEST_LABEL}=${run}` });
  remoteRef = await registry.push(`${repo}:${run}`, 'dom-test/layered', run);
  await removeLocalImage(`${repo}:${run}`);

  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  withCreds = await startClient({ env: { DOCKER_CONFIG: dockerConfigDir({ [registry.host]: { auth } }) } });
  noCreds = await startClient({ env: { DOCKER_CONFIG: dockerConfigDir({ 'other.example:5000': { auth } }) } });
}, 120_000);

afterAll(async () => {
  await withCreds?.close();
  await noCreds?.close();
  await cleanupByLabel(run);
  const mine = await docker.listImages({ filters: { label: [`${TEST_LABEL}=${run}`] } });
  for (const img of mine)
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  await registry?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface PullAnswer {
  image: string;
  id: string;
  registry: string;
  credentials: string;
  sizeBytes: number;
}

describe('pull_image from a registry of our own, with credentials from a Docker config file', () => {
  it('without credentials the registry refuses: denied', async () => {
    const r = await noCreds.call('pull_image', { image: remoteRef });
    expect(r.isError).toBe(true);
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(new RegExp(`Registry ${registry.host.replace(/\./g, '\\.')} refused`));
    expect(errorText(r)).toMatch(/config\.json.*DOM_REGISTRY_AUTH/);
  });

  it('with credentials from DOCKER_CONFIG it pulls, sending progress notifications per layer', async () => {
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const r = await withCreds.call('pull_image', { image: remoteRef }, { onprogress: (p) => progress.push(p) });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const data = r.structuredContent as unknown as PullAnswer;
    expect(data).toMatchObject({ image: remoteRef, registry: registry.host, credentials: 'docker-config' });
    expect(data.sizeBytes).toBeGreaterThan(3_000_000);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const messages = progress.map((p) => p.message ?? '');
    expect(messages.some((m) => /Pull complete|Download complete|Downloading/.test(m))).toBe(true);
    expect(messages.some((m) => /Already exists/.test(m))).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    // The credentials never show up in what the client sees.
    const seen = JSON.stringify({ r, progress });
    expect(seen).not.toContain(registry.password);
    expect(withCreds.stderr()).not.toContain(registry.password);
    expect((await docker.getImage(remoteRef).inspect()).Config.Labels?.[TEST_LABEL]).toBe(run);
  });

  it('an unknown tag is not_found, an unreachable registry a clear failure', async () => {
    const r = await withCreds.call('pull_image', { image: remoteRef.replace(`:${run}`, ':no-such-tag') });
    expect(errorKind(r)).toBe('not_found');
    expect(errorText(r)).toMatch(/not found in registry/);
    const down = await withCreds.call('pull_image', { image: '127.0.0.1:1/dom-test/nothing:1' });
    expect(errorKind(down)).toBe('failed');
    expect(errorText(down)).toMatch(/Registry 127\.0\.0\.1:1 is unreachable/);
    const bad = await withCreds.call('pull_image', { image: 'Not A Ref' });
    expect(errorKind(bad)).toBe('invalid_input');
  });
});

describe('list_images and remove_image', () => {
  it('lists compactly with usage counts and refuses to remove an image in use, naming the containers', async () => {
    const local = `dom-test/rm-${run}:1`;
    const builder = await docker.createContainer({ Image: BUSYBOX, Cmd: ['touch', '/own-layer'], Labels: labels });
    await builder.start();
    await builder.wait();
    await builder.commit({ repo: `dom-test/rm-${run}`, tag: '1', changes: `LABEL ${TEST_LABEL}=${run}` });

    const user = uniqueName('imguser');
    await withCreds.ok('deploy_container', {
      image: local,
      name: user,
      labels,
      init: true,
      command: ['sleep', '600'],
      pull: 'never',
    });
    const listed = await withCreds.ok<{
      images: { id: string; tags: string[]; sizeBytes: number; created: string; containers: number }[];
    }>('list_images', {
      filters: { reference: [`dom-test/rm-${run}`] },
    });
    expect(listed.images).toHaveLength(1);
    expect(listed.images[0]).toMatchObject({ tags: [local], containers: 1 });
    expect(JSON.stringify(listed).length).toBeLessThan(600);

    let r = await withCreds.call('remove_image', { id: local, confirm: true });
    expect(errorKind(r)).toBe('conflict');
    expect(errorText(r)).toContain(`"${user} (running)"`);

    // Even forced, a running container's image stays.
    r = await withCreds.call('remove_image', { id: local, force: true, confirm: true });
    expect(errorKind(r)).toBe('conflict');
    expect(errorText(r)).toMatch(/running container/);

    await withCreds.ok('remove_container', { id: user, force: true, confirm: true });
    const preview = await withCreds.ok<{ done: boolean; message: string }>('remove_image', { id: local });
    expect(preview.done).toBe(false);
    expect(preview.message).toMatch(/confirm: true/);
    const removed = await withCreds.ok<{ done: boolean; untagged: string[]; deleted: string[] }>('remove_image', {
      id: local,
      confirm: true,
    });
    expect(removed.done).toBe(true);
    expect(removed.untagged).toContain(local);
    expect(removed.deleted.length).toBeGreaterThanOrEqual(1);
    await expect(docker.getImage(local).inspect()).rejects.toMatchObject({ statusCode: 404 });
    // busybox, the parent, is untouched.
    expect((await docker.getImage(BUSYBOX).inspect()).Id).toBeTruthy();

    r = await withCreds.call('remove_image', { id: 'dom-test/no-such-image:1', confirm: true });
    expect(errorKind(r)).toBe('not_found');
  });

  it('removing one of several tags only untags', async () => {
    const extra = `dom-test/alias-${run}`;
    await docker.getImage(BUSYBOX).tag({ repo: extra, tag: '1' });
    const r = await withCreds.ok<{ done: boolean; untagged: string[]; deleted: string[]; message: string }>(
      'remove_image',
      { id: `${extra}:1`, confirm: true },
    );
    expect(r).toMatchObject({ done: true, untagged: [`${extra}:1`], deleted: [] });
    expect((await docker.getImage(BUSYBOX).inspect()).RepoTags).toContain(BUSYBOX);
  });
});
