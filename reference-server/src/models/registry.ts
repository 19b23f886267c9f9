import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type FeatureMappingSpec, parseMapping } from '@cairn/fhir-adapter';
import {
  type Bundle,
  type BundleFiles,
  CairnError,
  createExplainer,
  createPredictor,
  type Explainer,
  type FeatureRecord,
  isCairnError,
  loadBundle,
  type Manifest,
  nodeRuntime,
  type Predictor,
  readBundleArchive,
  type TrustedKey,
} from '@cairn/node';
import type { AuditEntry } from '../audit/audit.js';
import { writeAudit } from '../audit/audit.js';
import type { Database, Queryable } from '../db/database.js';
import type { EventBus } from '../db/events.js';
import { conflict, HttpError, notFound } from '../http/problem.js';
import { binsFromReference, type FeatureBins } from '../monitoring/bins.js';

/** A model version as listed. */
export interface VersionSummary {
  readonly version: string;
  readonly name: string;
  readonly description: string;
  readonly active: boolean;
  readonly source: 'upload' | 'training' | 'example';
  readonly uploadedAt: string;
  readonly uploadedBy: string | null;
  readonly modelSha256: string;
  readonly archiveSha256: string;
  readonly sizeBytes: number;
  readonly signature: unknown;
  readonly hasFhirMapping: boolean;
  readonly trainingRunId: string | null;
  readonly metrics: Manifest['metrics'];
}

/** A model with its versions. */
export interface ModelSummary {
  readonly id: string;
  readonly name: string;
  readonly status: 'active' | 'archived';
  readonly activeVersion: string | null;
  readonly createdAt: string;
  readonly archivedAt: string | null;
  readonly versions: readonly VersionSummary[];
}

/** A model version ready to score: bundle, predictor, explainer, FHIR mapping and drift bins. */
export interface LoadedModel {
  readonly id: string;
  readonly version: string;
  readonly bundle: Bundle;
  readonly predictor: Predictor;
  /** Undefined when this model cannot be explained (the reason is in `explainerError`). */
  readonly explainer: Explainer | undefined;
  readonly explainerError: string | undefined;
  readonly mapping: FeatureMappingSpec | undefined;
  readonly bins: readonly FeatureBins[];
}

/** Who made a change, for the audit record. */
export type Actor = Pick<AuditEntry, 'actorId' | 'actor' | 'actorKind' | 'ip' | 'requestId'>;

/** Options of an ingest. */
export interface IngestOptions {
  readonly actor: Actor;
  readonly source: 'upload' | 'training' | 'example';
  readonly trainingRunId?: string;
  /** Make this the active version (always true for a model's first version). */
  readonly activate?: boolean;
  /** Extra statements in the same transaction (e.g. marking a training run as succeeded). */
  readonly inTransaction?: (tx: Queryable, result: { modelId: string; version: string }) => Promise<void>;
}

/** Models on disk and in the database, and the loaded predictors. */
export interface ModelRegistry {
  list(options?: { includeArchived?: boolean }): Promise<ModelSummary[]>;
  get(id: string): Promise<ModelSummary>;
  manifest(id: string, version?: string): Promise<{ version: string; manifest: Manifest }>;
  /** The active version of a model, loaded (refuses archived models). */
  active(id: string): Promise<LoadedModel>;
  load(id: string, version: string): Promise<LoadedModel>;
  /** Checks an archive completely (archive safety, checksums, manifest against graph, signature, a test prediction, FHIR mapping). */
  check(archive: Uint8Array): Promise<{ files: BundleFiles; bundle: Bundle; warnings: string[] }>;
  /** Checks and stores a bundle archive as a new model version, with its audit record, in one transaction. */
  ingest(archive: Uint8Array, options: IngestOptions): Promise<{ modelId: string; version: string; warnings: string[] }>;
  archive(id: string, actor: Actor): Promise<void>;
  restore(id: string, actor: Actor): Promise<void>;
  promote(id: string, version: string, actor: Actor): Promise<void>;
  archiveBytes(id: string, version: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Options of {@link createModelRegistry}. */
export interface RegistryOptions {
  readonly bundleDir: string;
  readonly trustedKeys: readonly TrustedKey[];
  readonly requireSignature: boolean;
  readonly maxBundleBytes: number;
  readonly onError: (error: unknown) => void;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const SAFE_SEGMENT = /^[A-Za-z0-9_.+-]+$/;

interface VersionRow {
  model_id: string;
  version: string;
  manifest: Manifest;
  archive_sha256: string;
  model_sha256: string;
  size_bytes: number;
  source: 'upload' | 'training' | 'example';
  training_run_id: string | null;
  signature: unknown;
  has_fhir_mapping: boolean;
  uploaded_at: Date;
  uploaded_by_email: string | null;
}

interface ModelRow {
  id: string;
  name: string;
  status: 'active' | 'archived';
  active_version: string | null;
  created_at: Date;
  archived_at: Date | null;
}

/** Compares semantic versions (pre-release tags sort before the release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('+')[0]?.split('-', 2) ?? [v];
    return { nums: (core ?? '').split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** Creates the registry. */
export function createModelRegistry(db: Database, events: EventBus, options: RegistryOptions): ModelRegistry {
  const loaded = new Map<string, Promise<LoadedModel>>();
  let modelsCache: Promise<Map<string, ModelRow>> | undefined;

  const off = events.on((e) => {
    if (e.t === 'models' || e.t === 'reset') modelsCache = undefined;
  });

  const modelRows = () => {
    modelsCache ??= db
      .query<ModelRow>('select id, name, status, active_version, created_at, archived_at from models')
      .then((r) => new Map(r.rows.map((row) => [row.id, row])))
      .catch((error) => {
        modelsCache = undefined;
        throw error;
      });
    return modelsCache;
  };

  async function versionRows(id?: string): Promise<VersionRow[]> {
    const { rows } = await db.query<VersionRow>(
      `select v.model_id, v.version, v.manifest, v.archive_sha256, v.model_sha256, v.size_bytes, v.source, v.training_run_id,
              v.signature, v.has_fhir_mapping, v.uploaded_at, u.email as uploaded_by_email
         from model_versions v left join users u on u.id = v.uploaded_by
        ${id === undefined ? '' : 'where v.model_id = $1'}`,
      id === undefined ? [] : [id],
    );
    return rows;
  }

  function summarise(m: ModelRow, versions: VersionRow[]): ModelSummary {
    return {
      id: m.id,
      name: m.name,
      status: m.status,
      activeVersion: m.active_version,
      createdAt: new Date(m.created_at).toISOString(),
      archivedAt: m.archived_at ? new Date(m.archived_at).toISOString() : null,
      versions: versions
        .filter((v) => v.model_id === m.id)
        .sort((a, b) => compareVersions(b.version, a.version))
        .map((v) => ({
          version: v.version,
          name: v.manifest.name,
          description: v.manifest.description,
          active: v.version === m.active_version,
          source: v.source,
          uploadedAt: new Date(v.uploaded_at).toISOString(),
          uploadedBy: v.uploaded_by_email,
          modelSha256: v.model_sha256,
          archiveSha256: v.archive_sha256,
          sizeBytes: v.size_bytes,
          signature: v.signature,
          hasFhirMapping: v.has_fhir_mapping,
          trainingRunId: v.training_run_id,
          metrics: v.manifest.metrics,
        })),
    };
  }

  function pathOf(id: string, version: string): string {
    if (!SAFE_SEGMENT.test(id) || !SAFE_SEGMENT.test(version) || id.startsWith('.') || version.startsWith('.')) {
      throw new CairnError('invalid_argument', `unsafe model id or version '${id}@${version}'`);
    }
    return join(options.bundleDir, id, `${version}.cairn`);
  }

  async function writeCache(id: string, version: string, bytes: Uint8Array): Promise<void> {
    const path = pathOf(id, version);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  }

  async function archiveBytes(id: string, version: string): Promise<Uint8Array> {
    const { rows } = await db.query<{ archive_sha256: string }>(
      'select archive_sha256 from model_versions where model_id = $1 and version = $2',
      [id, version],
    );
    const sha = rows[0]?.archive_sha256;
    if (!sha) throw notFound(`Model version ${id}@${version}`);
    // The local file is a cache of the database copy: used only when its checksum matches.
    try {
      const bytes = new Uint8Array(await readFile(pathOf(id, version)));
      if (sha256Hex(bytes) === sha) return bytes;
    } catch {
      // Not cached on this instance yet.
    }
    const blob = await db.query<{ bytes: Uint8Array }>('select bytes from bundle_blobs where sha256 = $1', [sha]);
    const bytes = blob.rows[0]?.bytes;
    if (!bytes) throw new CairnError('internal', `the archive of ${id}@${version} is missing from the database`);
    const data = new Uint8Array(bytes);
    await writeCache(id, version, data).catch(options.onError);
    return data;
  }

  async function openModel(id: string, version: string, bundle: Bundle): Promise<LoadedModel> {
    const predictor = await createPredictor(bundle);
    let explainer: Explainer | undefined;
    let explainerError: string | undefined;
    try {
      explainer = await createExplainer(bundle, { runtime: nodeRuntime });
    } catch (error) {
      explainerError = error instanceof Error ? error.message : String(error);
    }
    let mapping: FeatureMappingSpec | undefined;
    if (bundle.fhirMapping !== undefined) mapping = parseMapping(bundle.fhirMapping, bundle.manifest.features);
    const bins = binsFromReference(bundle.manifest.features, bundle.reference?.rows ?? []);
    return { id, version, bundle, predictor, explainer, explainerError, mapping, bins };
  }

  async function load(id: string, version: string): Promise<LoadedModel> {
    const key = `${id}@${version}`;
    let p = loaded.get(key);
    if (!p) {
      p = (async () => {
        const bytes = await archiveBytes(id, version);
        const files = readBundleArchive(bytes, { maxTotalBytes: options.maxBundleBytes * 8 });
        // Stored bundles were checked on upload; signatures are checked again only if keys are configured.
        const bundle = await loadBundle(files, options.trustedKeys.length > 0 ? { trustedKeys: options.trustedKeys } : {});
        return openModel(id, version, bundle);
      })();
      p.catch(() => loaded.delete(key));
      loaded.set(key, p);
    }
    return p;
  }

  async function check(archive: Uint8Array): Promise<{ files: BundleFiles; bundle: Bundle; warnings: string[] }> {
    if (archive.byteLength > options.maxBundleBytes) {
      throw new HttpError(413, 'limit_exceeded', `The bundle is larger than ${options.maxBundleBytes} bytes`);
    }
    const files = readBundleArchive(archive, { maxTotalBytes: options.maxBundleBytes * 8, maxCompressionRatio: 200 });
    const bundle = await loadBundle(
      files,
      options.trustedKeys.length > 0 || options.requireSignature
        ? { trustedKeys: options.trustedKeys, requireSignature: options.requireSignature || undefined }
        : {},
    );
    const warnings: string[] = [];
    let model: LoadedModel;
    try {
      model = await openModel(bundle.manifest.id, bundle.manifest.version, bundle);
    } catch (error) {
      if (isCairnError(error) || error instanceof HttpError) throw error;
      throw new CairnError('invalid_model', `the model could not be opened: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    try {
      // A test prediction through the full path (validation, encoding, inference), on reference rows when there are some.
      const rows = bundle.reference?.rows.slice(0, 20) ?? [];
      if (rows.length > 0) {
        const scores = await model.predictor.predictValues(rows);
        if (!scores.probability.every((p) => Number.isFinite(p))) {
          throw new CairnError('invalid_model', 'the test prediction on the reference rows returned a value that is not a probability');
        }
        if (model.explainer) await model.explainer.explain(rows[0] as FeatureRecord);
      }
      if (!model.explainer) warnings.push(`Explanations are unavailable for this model: ${model.explainerError}`);
      if (!bundle.reference)
        warnings.push('The bundle has no reference data: drift monitoring and explanations against a background are unavailable');
    } finally {
      await model.predictor.release().catch(() => undefined);
      await model.explainer?.release().catch(() => undefined);
    }
    return { files, bundle, warnings };
  }

  async function audit(tx: Queryable, actor: Actor, entry: Omit<AuditEntry, keyof Actor>): Promise<void> {
    await writeAudit(tx, [{ ...actor, ...entry }]);
  }

  async function setModel(
    id: string,
    actor: Actor,
    action: 'model.archive' | 'model.restore' | 'model.promote',
    change: (tx: Queryable, row: ModelRow) => Promise<{ version?: string } | undefined>,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const { rows } = await tx.query<ModelRow>('select * from models where id = $1 for update', [id]);
      const row = rows[0];
      if (!row) throw notFound(`Model '${id}'`);
      const r = await change(tx, row);
      await audit(tx, actor, {
        action,
        outcome: 'success',
        targetType: 'model',
        targetId: id,
        modelId: id,
        modelVersion: r?.version ?? row.active_version ?? undefined,
      });
      await events.publish(tx, { t: 'models' });
    });
    modelsCache = undefined;
  }

  return {
    async list(opts = {}) {
      const models = [...(await modelRows()).values()].filter((m) => opts.includeArchived || m.status === 'active');
      const versions = await versionRows();
      return models.sort((a, b) => a.id.localeCompare(b.id)).map((m) => summarise(m, versions));
    },

    async get(id) {
      const m = (await modelRows()).get(id);
      if (!m) throw notFound(`Model '${id}'`);
      return summarise(m, await versionRows(id));
    },

    async manifest(id, version) {
      const m = (await modelRows()).get(id);
      if (!m) throw notFound(`Model '${id}'`);
      const v = version ?? m.active_version;
      if (!v) throw notFound(`An active version of model '${id}'`);
      const { rows } = await db.query<{ manifest: Manifest }>('select manifest from model_versions where model_id = $1 and version = $2', [
        id,
        v,
      ]);
      if (!rows[0]) throw notFound(`Model version ${id}@${v}`);
      return { version: v, manifest: rows[0].manifest };
    },

    async active(id) {
      const m = (await modelRows()).get(id);
      if (!m) throw notFound(`Model '${id}'`);
      if (m.status === 'archived') throw conflict(`Model '${id}' is archived: restore it before predicting`);
      if (!m.active_version) throw conflict(`Model '${id}' has no active version`);
      return load(id, m.active_version);
    },

    load,
    check,

    async ingest(archive, opts) {
      const { bundle, warnings } = await check(archive);
      const { id, version, name } = bundle.manifest;
      const archiveSha = sha256Hex(archive);
      await db.transaction(async (tx) => {
        const existing = await tx.query<{ archive_sha256: string }>(
          'select archive_sha256 from model_versions where model_id = $1 and version = $2',
          [id, version],
        );
        if (existing.rows[0]) {
          throw conflict(
            existing.rows[0].archive_sha256 === archiveSha
              ? `Model ${id}@${version} is already installed (same archive)`
              : `Model ${id}@${version} already exists with different content: give the new bundle a new version`,
            ['manifest', 'version'],
          );
        }
        await tx.query('insert into bundle_blobs (sha256, bytes) values ($1, $2) on conflict (sha256) do nothing', [
          archiveSha,
          Buffer.from(archive.buffer, archive.byteOffset, archive.byteLength),
        ]);
        const created = await tx.query<{ active_version: string | null; status: string }>(
          `insert into models (id, name, active_version, created_by) values ($1, $2, $3, $4)
           on conflict (id) do update set name = models.name returning active_version, status`,
          [id, name, version, opts.actor.actorId],
        );
        const isFirst = created.rows[0]?.active_version === version;
        await tx.query(
          `insert into model_versions (model_id, version, archive_sha256, model_sha256, manifest, size_bytes, source, training_run_id,
             signature, has_fhir_mapping, uploaded_by)
           values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $11)`,
          [
            id,
            version,
            archiveSha,
            bundle.modelSha256,
            JSON.stringify(bundle.manifest),
            archive.byteLength,
            opts.source,
            opts.trainingRunId ?? null,
            bundle.signature ? JSON.stringify(bundle.signature) : null,
            bundle.fhirMapping !== undefined,
            opts.actor.actorId,
          ],
        );
        if (opts.activate && !isFirst)
          await tx.query('update models set active_version = $2, name = $3 where id = $1', [id, version, name]);
        await audit(tx, opts.actor, {
          action: 'model.upload',
          outcome: 'success',
          targetType: 'model',
          targetId: id,
          modelId: id,
          modelVersion: version,
          details: {
            source: opts.source,
            archiveSha256: archiveSha,
            modelSha256: bundle.modelSha256,
            signed: bundle.signature !== undefined,
            activated: isFirst || opts.activate === true,
            ...(opts.trainingRunId ? { trainingRunId: opts.trainingRunId } : {}),
          },
        });
        await opts.inTransaction?.(tx, { modelId: id, version });
        await events.publish(tx, { t: 'models' });
      });
      modelsCache = undefined;
      await writeCache(id, version, archive).catch(options.onError);
      return { modelId: id, version, warnings };
    },

    archive: (id, actor) =>
      setModel(id, actor, 'model.archive', async (tx, row) => {
        if (row.status === 'archived') throw conflict(`Model '${id}' is already archived`);
        await tx.query("update models set status = 'archived', archived_at = now(), archived_by = $2 where id = $1", [id, actor.actorId]);
        return undefined;
      }),

    restore: (id, actor) =>
      setModel(id, actor, 'model.restore', async (tx, row) => {
        if (row.status !== 'archived') throw conflict(`Model '${id}' is not archived`);
        await tx.query("update models set status = 'active', archived_at = null, archived_by = null where id = $1", [id]);
        return undefined;
      }),

    promote: (id, version, actor) =>
      setModel(id, actor, 'model.promote', async (tx, row) => {
        const v = await tx.query<{ manifest: Manifest }>('select manifest from model_versions where model_id = $1 and version = $2', [
          id,
          version,
        ]);
        if (!v.rows[0]) throw notFound(`Model version ${id}@${version}`);
        if (row.active_version === version) throw conflict(`${id}@${version} is already the active version`);
        await tx.query('update models set active_version = $2, name = $3 where id = $1', [id, version, v.rows[0].manifest.name]);
        return { version };
      }),

    archiveBytes,

    async close() {
      off();
      const all = [...loaded.values()];
      loaded.clear();
      await Promise.all(
        all.map(async (p) => {
          const m = await p.catch(() => undefined);
          await m?.predictor.release().catch(() => undefined);
          await m?.explainer?.release().catch(() => undefined);
        }),
      );
    },
  };
}
