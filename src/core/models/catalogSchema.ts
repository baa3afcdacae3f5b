/**
 * Schema of the model catalog (catalog.json). Every figure comes from the shared research file
 * with its sources; unknown figures are null, never guessed.
 */
import * as z from "zod";

export const RoleSchema = z.enum(["completion", "chat"]);
export type Role = z.infer<typeof RoleSchema>;

/** Quant names are used in settings ("id:QUANT"), so they stay plain identifiers. */
export const QuantNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "quant names are letters, digits, _ . -");

const RepoSchema = z
  .string()
  .regex(/^[\w.-]+\/[\w.-]+$/, "a Hugging Face repo is owner/name")
  // The repo becomes a folder under the models folder: "." and ".." would leave it.
  .refine((repo) => !repo.split("/").some((part) => part === "." || part === ".."), {
    message: 'a repo must not have "." or ".." parts',
  });

/** The size Hugging Face shows in its file listing (rounded; GB/MB decimal, MiB binary). */
export const ListedSizeSchema = z.object({
  value: z.number().positive(),
  unit: z.enum(["GB", "MB", "MiB"]),
});
export type ListedSize = z.infer<typeof ListedSizeSchema>;

export const CatalogQuantSchema = z
  .object({
    quant: QuantNameSchema,
    repo: RepoSchema.nullable(),
    /** Null: the row only estimates the size of this quant type (no file name found). */
    file: z.string().min(1).nullable(),
    /** Exact byte count where one was found (LFS pointer, pinned catalog). */
    sizeBytes: z.number().int().positive().nullable(),
    sizeListed: ListedSizeSchema.nullable(),
    /** exact: sizeBytes is the file's length; listing: from sizeListed; unverified: a third-party figure. */
    sizeKind: z.enum(["exact", "listing", "unverified"]).nullable(),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .nullable(),
    /** Perplexity measured on this exact file (lower is better). */
    ppl: z.number().positive().nullable(),
    /** A figure for the same quant type measured on another file; informative only. */
    pplRef: z.object({ value: z.number().positive(), note: z.string() }).nullable(),
    /** False: the file name or repo was not seen in a stored listing. */
    fileVerified: z.boolean(),
    note: z.string().nullable(),
    alternatives: z.array(
      z.object({
        repo: z.string().nullable(),
        file: z.string().nullable(),
        sizeListed: ListedSizeSchema.nullable(),
        sizeBytes: z.number().int().positive().nullable(),
        fileVerified: z.boolean(),
        note: z.string().nullable(),
      }),
    ),
  })
  .refine((q) => q.file === null || q.repo !== null, { message: "a file needs its repo" })
  .refine((q) => (q.sizeKind === null) === (q.sizeBytes === null && q.sizeListed === null), {
    message: "sizeKind is null exactly when no size is known",
  })
  .refine((q) => q.sizeKind !== "exact" || q.sizeBytes !== null, { message: "an exact size needs sizeBytes" });
export type CatalogQuant = z.infer<typeof CatalogQuantSchema>;

/** Architecture numbers used to size the KV cache and compute buffer before download. */
export const CatalogArchSchema = z
  .object({
    architecture: z.string().min(1),
    blockCount: z.number().int().positive(),
    embeddingLength: z.number().int().positive(),
    headCount: z.number().int().positive(),
    headCountKv: z.number().int().positive(),
    headDim: z.number().int().positive(),
    vocabSize: z.number().int().positive(),
    contextLength: z.number().int().positive(),
    slidingWindow: z.number().int().positive().nullable(),
    /** Layers that own a KV cache: full-attention ones and sliding-window ones. */
    fullLayers: z.number().int().min(0),
    slidingLayers: z.number().int().min(0),
    /** Head size of the full-attention layers when it differs from headDim (Gemma 4). */
    fullHeadDim: z.number().int().positive().nullable(),
    note: z.string().nullable(),
  })
  .refine((a) => a.fullLayers + a.slidingLayers <= a.blockCount, { message: "more KV layers than blocks" })
  .refine((a) => a.slidingLayers === 0 || a.slidingWindow !== null, { message: "sliding layers need a window" });
export type CatalogArch = z.infer<typeof CatalogArchSchema>;

export const FimTokensSchema = z.object({
  prefix: z.string().min(1),
  suffix: z.string().min(1),
  middle: z.string().min(1),
  fileSeparator: z.string().nullable(),
  repoName: z.string().nullable(),
  order: z.enum(["PSM", "SPM"]),
  note: z.string().nullable(),
});

export const LicenseSchema = z.object({
  /** Null where the licence was not verified. */
  id: z.string().nullable(),
  /** True: the licence must be accepted on Hugging Face and a token may be needed. Null: unknown. */
  requiresAcceptance: z.boolean().nullable(),
  note: z.string().nullable(),
});

export const CatalogModelSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "ids are lower-case, digits, . and -"),
    displayName: z.string().min(1),
    baseModel: z.string().min(1),
    roles: z.array(RoleSchema).min(1),
    hfRepo: RepoSchema,
    altRepos: z.array(z.string()),
    license: LicenseSchema,
    fim: FimTokensSchema.nullable(),
    chatTemplate: z.string().nullable(),
    arch: CatalogArchSchema,
    quants: z.array(CatalogQuantSchema).min(1),
    recommendedBy: z.array(z.string()),
    sources: z.array(z.string().min(1)).min(1),
    notes: z.array(z.string()),
  })
  .refine((m) => !m.roles.includes("completion") || m.fim !== null, { message: "a completion model needs FIM tokens" })
  .refine((m) => new Set(m.quants.map((q) => q.quant)).size === m.quants.length, { message: "one row per quant name" });
export type CatalogModel = z.infer<typeof CatalogModelSchema>;

export const CatalogSchema = z
  .object({
    version: z.literal(1),
    generatedFrom: z.string(),
    models: z.array(CatalogModelSchema).min(1),
  })
  .refine((c) => new Set(c.models.map((m) => m.id)).size === c.models.length, { message: "duplicate model id" });
export type Catalog = z.infer<typeof CatalogSchema>;
