import { z } from 'zod';
import { ToolError } from '../../kernel/errors.js';
import {
  assertImageRef,
  classifyPullError,
  imageUsers,
  inspectImage,
  listImages,
  pullImage,
  removalOnlyUntags,
  removeImage,
  withDefaultTag,
} from '../../docker/images.js';
import { listNames } from '../../docker/networks.js';
import { resolveRegistryAuth } from '../../docker/registryAuth.js';
import { defineTool } from '../defineTool.js';
import { pagingInput, paginate } from '../paging.js';
import { bytes, moreHint } from '../render.js';
import { confirmArg, destructiveOutcome, idArg } from '../schemas.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { timedStep } from '../../history/record.js';

const imageRowSchema = z.object({
  id: z.string(),
  tags: z.array(z.string()),
  digests: z.array(z.string()),
  sizeBytes: z.number(),
  created: z.string(),
  containers: z.number().describe('Containers (running or stopped) created from this image.'),
  dangling: z.boolean(),
});

export const listImagesTool = defineTool({
  name: 'list_images',
  title: 'List images',
  description:
    'List local images as compact rows: id, tags, size, created, and how many containers use each. Filter by reference ("dom/*", "nginx:1.*"), dangling or label; page with limit and cursor.',
  toolset: 'images',
  kind: 'read',
  input: z.object({
    all: z.boolean().optional().describe('Include intermediate images (default false).'),
    filters: z
      .object({
        reference: z.array(z.string().max(256)).optional().describe('Reference patterns, e.g. "nginx" or "nginx:1.*".'),
        dangling: z.boolean().optional().describe('Only untagged (true) or only tagged (false) images.'),
        label: z.array(z.string().max(512)).optional(),
      })
      .optional(),
    ...pagingInput,
  }),
  output: z.object({ images: z.array(imageRowSchema), total: z.number(), nextCursor: z.string().optional() }),
  async handler({ all, filters, limit, cursor }, ctx) {
    const rows = await listImages(ctx.engine, { all: all ?? false, ...(filters ?? {}) }, ctx.signal);
    const page = paginate(rows, (r) => `${r.tags[0] ?? '~'}\u0000${r.id}`, limit ?? 50, cursor);
    const data: { images: typeof page.items; total: number; nextCursor?: string } = {
      images: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = page.items.length
      ? page.items
          .map(
            (r) =>
              `${r.id}  ${r.tags.join(',') || '<none>'}  ${bytes(r.sizeBytes)}  ${r.created.slice(0, 10)}  used by ${r.containers}`,
          )
          .join('\n') + moreHint(page.items.length, page.total, page.nextCursor)
      : 'No images.';
    return { data, text };
  },
});

/** Progress events of a pull, at most a few per second except status changes per layer. */
function throttled(send: (current: number, total: number | undefined, message: string) => void, everyMs = 200) {
  let last = 0;
  return (p: { current: number; total: number; message: string }) => {
    const now = Date.now();
    const chatty = /Downloading|Extracting|Waiting|Verifying/.test(p.message);
    if (chatty && now - last < everyMs) return;
    last = now;
    send(p.current, p.total || undefined, p.message);
  };
}

export const pullImageTool = defineTool({
  name: 'pull_image',
  title: 'Pull image',
  description:
    'Pull an image from its registry, with progress notifications per layer; cancellable. Registry credentials come from the server side only (Docker config.json auths via DOCKER_CONFIG or ~/.docker, or DOM_REGISTRY_AUTH) and are never tool arguments. Errors say whether the tag is unknown, the registry unreachable or access denied.',
  toolset: 'images',
  kind: 'create',
  input: z.object({
    image: z
      .string()
      .max(512)
      .describe(
        'Reference like "nginx:1.27", "registry.example:5000/team/app:v2" or "app@sha256:...". No tag means "latest".',
      ),
    timeout: z.number().int().min(5).max(3600).optional().describe('Seconds before giving up (default 600).'),
  }),
  output: z.object({
    image: z.string(),
    id: z.string(),
    status: z.string(),
    registry: z.string(),
    credentials: z
      .enum(['environment', 'docker-config', 'none'])
      .describe('Where the credentials came from (never the credentials themselves).'),
    sizeBytes: z.number(),
    durationMs: z.number(),
  }),
  async handler({ image, timeout }, ctx) {
    assertImageRef(image);
    if (/^(sha256:)?[a-f0-9]{12,64}$/.test(image)) {
      throw new ToolError(
        'invalid_input',
        `"${image}" is an image id; pull needs a name like "nginx:1.27" or "name@sha256:DIGEST".`,
      );
    }
    const full = withDefaultTag(image);
    const { host, auth, source, note } = resolveRegistryAuth(ctx.config, full);
    const started = Date.now();
    ctx.progress(0, undefined, `pulling ${full} from ${host}${auth ? ` with credentials from ${source}` : ''}`);
    const send = throttled((c, t, m) => ctx.progress(c, t, m));
    let status: string;
    try {
      ({ status } = await pullImage(ctx.engine, full, {
        signal: ctx.signal,
        timeoutMs: (timeout ?? 600) * 1000,
        onProgress: send,
        ...(auth ? { auth } : {}),
      }));
    } catch (err) {
      if (err instanceof ToolError) throw classifyPullError(err, full, host, auth ? undefined : note);
      throw err;
    }
    const info = await inspectImage(ctx.engine, full, ctx.signal);
    const data = {
      image: full,
      id: info.Id.replace(/^sha256:/, '').slice(0, 12),
      status,
      registry: host,
      credentials: auth ? source : ('none' as const),
      sizeBytes: info.Size,
      durationMs: Date.now() - started,
    };
    return {
      data,
      text: `Pulled ${full} (${data.id}, ${bytes(info.Size)}) in ${(data.durationMs / 1000).toFixed(1)} s: ${status}`,
    };
  },
});

export const removeImageTool = defineDestructiveTool({
  name: 'remove_image',
  title: 'Remove image',
  description:
    'Remove a local image by tag or id. Refused while containers use it (the answer names them) unless `force`; even forced, images of running containers are kept (stop and remove those first). Removing one of several tags only untags. Destructive: needs confirmation.',
  toolset: 'images',
  input: z.object({
    id: idArg.describe('Image reference (name:tag) or image id.'),
    force: z.boolean().optional().describe('Remove even when stopped containers use it, and remove all tags of an id.'),
    prune: z.boolean().optional().describe('Also delete untagged parent images (default true).'),
    confirm: confirmArg,
  }),
  output: z.object({
    image: z.string(),
    id: z.string(),
    untagged: z.array(z.string()),
    deleted: z.array(z.string()),
    ...destructiveOutcome,
  }),
  async resolve({ id, force }, ctx) {
    const img = await inspectImage(ctx.engine, id, ctx.signal);
    const shortId = img.Id.replace(/^sha256:/, '').slice(0, 12);
    const onlyUntag = removalOnlyUntags(id, img.RepoTags);
    const found = { img, shortId, onlyUntag };
    if (onlyUntag) return { scope: [], found };
    const users = await imageUsers(ctx.engine, img.Id, ctx.signal);
    const running = users.filter((u) => u.state === 'running' || u.state === 'restarting' || u.state === 'paused');
    if (users.length && !force) {
      throw new ToolError(
        'conflict',
        `Image ${id} (${shortId}) is in use by ${users.length} container(s): ${listNames(users.map((u) => `${u.name} (${u.state})`))}. Remove those containers first, or pass force: true to remove it anyway (only possible when none of them runs).`,
        { users: users.map((u) => u.name) },
      );
    }
    if (running.length) {
      throw new ToolError(
        'conflict',
        `Image ${id} (${shortId}) is used by running container(s) ${listNames(running.map((u) => u.name))}; even force cannot remove it. Stop and remove them first.`,
      );
    }
    // An image carries no label of ours: it is in scope when every container made from it is.
    const scope = users.map((u) => ({ what: `container "${u.name}" (made from image ${id})`, managed: u.managed }));
    return { scope, found };
  },
  async plan({ img, shortId, onlyUntag }, { id, force, prune, confirm }, ctx) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const base = { image: id, id: shortId, untagged: [] as string[], deleted: [] as string[] };
    return {
      summary: onlyUntag
        ? `Untag ${withDefaultTag(id)} (image ${shortId} keeps its other tags: ${tags.filter((t) => t !== withDefaultTag(id)).join(', ')}).`
        : `Remove image ${id} (${shortId}${tags.length ? `, tags ${tags.join(', ')}` : ''}, ${bytes(img.Size)})${force ? ', forced' : ''}.`,
      record: { target: id, source: 'image', inputs: { id, force, prune, confirm } },
      refused: (message) => ({ ...base, done: false, message }),
      async run(h) {
        const res = await timedStep(h, onlyUntag ? 'untag' : 'remove', () =>
          removeImage(ctx.engine, id, { force: force ?? false, prune: prune ?? true }, ctx.signal),
        );
        const message = res.deleted.length
          ? `Removed image ${shortId} (untagged ${res.untagged.length ? res.untagged.join(', ') : 'nothing'}; deleted ${res.deleted.length} layer image(s)).`
          : `Untagged ${res.untagged.join(', ') || id}; image ${shortId} stays for its other tags.`;
        return { data: { ...base, ...res, done: true, message }, text: message };
      },
    };
  },
});
