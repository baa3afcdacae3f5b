/**
 * The model catalog: loading and validation, lookups, model override strings, and the quant
 * ladders quant selection works on.
 */
import catalogJson from "./catalog.json";
import {
  CatalogSchema,
  type Catalog,
  type CatalogModel,
  type CatalogQuant,
  type ListedSize,
  type Role,
} from "./catalogSchema";
import { archFromCatalog, archFromGgufFields, type GgufArchFields } from "./fitEstimate";
import type { LadderQuant, ModelLadder } from "./selectModel";

let builtIn: Catalog | undefined;

/** Validates catalog data; with no argument, the built-in catalog (validated once). */
export function loadCatalog(raw?: unknown): Catalog {
  if (raw !== undefined) return CatalogSchema.parse(raw);
  builtIn ??= CatalogSchema.parse(catalogJson);
  return builtIn;
}

export function findModel(id: string, catalog: Catalog = loadCatalog()): CatalogModel | undefined {
  return catalog.models.find((m) => m.id === id.toLowerCase());
}

export function modelsForRole(role: Role, catalog: Catalog = loadCatalog()): CatalogModel[] {
  return catalog.models.filter((m) => m.roles.includes(role));
}

export function findQuant(model: CatalogModel, quant: string): CatalogQuant | undefined {
  return model.quants.find((q) => q.quant.toLowerCase() === quant.toLowerCase());
}

const UNIT_BYTES: Record<ListedSize["unit"], number> = { GB: 1e9, MB: 1e6, MiB: 1024 * 1024 };

/**
 * Bytes to budget for a quant: the exact count where known, else the HF listing converted at
 * face value (rounded to 3 significant digits, or whole MiB; the fit margin absorbs that).
 */
export function quantSizeBytes(q: CatalogQuant): number | null {
  if (q.sizeBytes !== null) return q.sizeBytes;
  if (q.sizeListed === null) return null;
  return Math.round(q.sizeListed.value * UNIT_BYTES[q.sizeListed.unit]);
}

/** Quants that can be downloaded and budgeted: a file, a repo and a size. */
export function ladderFromCatalog(model: CatalogModel): ModelLadder {
  const quants: LadderQuant[] = [];
  for (const q of model.quants) {
    const sizeBytes = quantSizeBytes(q);
    if (q.file === null || q.repo === null || sizeBytes === null) continue;
    quants.push({ quant: q.quant, file: q.file, repo: q.repo, sizeBytes, ppl: q.ppl });
  }
  return { modelId: model.id, arch: archFromCatalog(model.arch), quants };
}

/** A one-rung ladder for a .gguf file on disk, from its header fields and size (and its tensors' repackable bytes, when read). */
export function ladderFromGgufFile(
  filePath: string,
  fields: GgufArchFields,
  fileSizeBytes: number,
  quant = "custom",
  cpuRepackBytes?: number,
): ModelLadder {
  return {
    modelId: filePath,
    arch: archFromGgufFields(fields),
    quants: [
      {
        quant,
        file: filePath,
        repo: null,
        sizeBytes: fileSizeBytes,
        ppl: null,
        ...(cpuRepackBytes !== undefined ? { cpuRepackBytes } : {}),
      },
    ],
  };
}

export type ModelOverride =
  { kind: "auto" } | { kind: "catalog"; id: string; quant: string | null } | { kind: "path"; path: string };

export class ModelOverrideError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelOverrideError";
  }
}

function isAbsolutePath(value: string): boolean {
  return value.startsWith("/") || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith("\\\\");
}

/**
 * Parses a model setting: "auto", a catalog id with an optional ":QUANT"
 * ("qwen2.5-coder-1.5b:Q4_K_M"), or an absolute path to a .gguf file. Syntax only; see
 * resolveCatalogOverride for checking the id and quant against the catalog.
 */
export function parseModelOverride(raw: string): ModelOverride {
  const value = raw.trim();
  if (value === "" || value.toLowerCase() === "auto") return { kind: "auto" };
  if (value.includes("/") || value.includes("\\") || value.toLowerCase().endsWith(".gguf")) {
    if (!isAbsolutePath(value))
      throw new ModelOverrideError(`"${value}" is not an absolute path: give the full path to the .gguf file`);
    if (!value.toLowerCase().endsWith(".gguf")) throw new ModelOverrideError(`"${value}" does not end in .gguf`);
    return { kind: "path", path: value };
  }
  const m = /^([a-z0-9][a-z0-9.-]*)(?::([A-Za-z0-9][A-Za-z0-9_.-]*))?$/i.exec(value);
  if (!m)
    throw new ModelOverrideError(
      `"${value}" is not "auto", a catalog id (optionally with :QUANT) or an absolute .gguf path`,
    );
  return { kind: "catalog", id: m[1].toLowerCase(), quant: m[2] ?? null };
}

/** Checks a catalog override; the error names the valid choices. */
export function resolveCatalogOverride(
  override: { id: string; quant: string | null },
  role: Role,
  catalog: Catalog = loadCatalog(),
): { model: CatalogModel; quant: CatalogQuant | null } {
  const model = findModel(override.id, catalog);
  if (!model) {
    const ids = modelsForRole(role, catalog).map((m) => m.id);
    throw new ModelOverrideError(`Unknown model "${override.id}". ${role} models: ${ids.join(", ")}`);
  }
  if (!model.roles.includes(role))
    throw new ModelOverrideError(`"${model.id}" is not a ${role} model (it is: ${model.roles.join(", ")})`);
  if (override.quant === null) return { model, quant: null };
  const quant = findQuant(model, override.quant);
  const usable = ladderFromCatalog(model).quants.map((q) => q.quant);
  if (!quant || !usable.includes(quant.quant)) {
    throw new ModelOverrideError(
      `"${model.id}" has no downloadable quant "${override.quant}". Available: ${usable.join(", ")}`,
    );
  }
  return { model, quant };
}
