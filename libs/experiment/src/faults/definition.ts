import { z } from 'zod';
import { durationSchema } from '@checkout-lab/config';
import { ExperimentDefinitionError, findDefinitionFile, readDefinitionFile, settingsSchema } from '../definition';

/**
 * The faults the lab can inject, each on the part it names:
 * - kill: SIGKILL of a service process (supervision restarts it);
 * - freeze: SIGSTOP of a PostgreSQL server and all its backends for `duration`, then SIGCONT (a
 *   server that stops answering but keeps its connections open, as a stalled VM does);
 * - http-500: every request to the Stripe API answered 500 for `duration` (a fault proxy in front of it);
 * - drop: every connection to DynamoDB reset for `duration` (a fault proxy in front of it).
 */
const faultSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('kill'),
      target: z.enum(['payment', 'billing-address', 'cart']),
      /**
       * scheduled: at the fault's time. charge-in-flight (payment only): from the fault's time, at the
       * moment Stripe's answer to a PaymentIntent request reaches payment, before payment reads it —
       * the charge went through and payment never learns it (a fault proxy in front of Stripe).
       */
      when: z.enum(['scheduled', 'charge-in-flight']).default('scheduled'),
    })
    .strict()
    .refine((f) => f.when === 'scheduled' || f.target === 'payment', { message: 'charge-in-flight applies to payment only', path: ['when'] }),
  z.object({ action: z.literal('freeze'), target: z.enum(['app-postgres', 'billing-postgres']), duration: durationSchema }).strict(),
  z.object({ action: z.literal('http-500'), target: z.literal('stripe'), duration: durationSchema }).strict(),
  z.object({ action: z.literal('drop'), target: z.literal('dynamodb'), duration: durationSchema }).strict(),
]);

const faultEntrySchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lowercase letters, digits and dashes (at most 40)'),
    description: z.string().default(''),
    fault: faultSchema,
    /** Settings this fault's stack runs with, over the experiment's (e.g. billingStore dynamodb). */
    settings: settingsSchema.default({}),
  })
  .strict();

const definitionSchema = z
  .object({
    kind: z.literal('faults'),
    name: z.string().min(1),
    title: z.string().min(1),
    description: z.string().default(''),
    rationale: z.record(z.string(), z.string()).default({}),
    seed: z.object({ users: z.number().int().positive(), addressesPerUser: z.number().int().positive() }).strict(),
    load: z
      .object({
        /** Checkout flows started per second (open model). */
        rate: z.number().positive().max(100),
        /** Load before the fault starts: the pre-fault reference. */
        before: durationSchema,
        /** Load after the fault ends: recovery has this long to show. */
        after: durationSchema,
        thinkTimeMeanS: z.number().min(0).default(0),
      })
      .strict(),
    warmup: z.object({ duration: durationSchema, rate: z.number().positive() }).strict(),
    /** How long after the load the services' reconcilers get to settle pending orders before the books are compared. */
    settleTimeout: durationSchema.default(60_000),
    /** Recovery must be within this of each fault's end for the fault to pass. */
    recoveryLimit: durationSchema.default(10_000),
    /** Stack settings of every fault (a fault's own settings go over them). */
    settings: settingsSchema.default({}),
    /** Service environment for every fault (e.g. quicker reconcilers), over the defaults. */
    env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an environment variable name'), z.union([z.string(), z.number()]).transform(String)).default({}),
    faults: z.array(faultEntrySchema).min(1),
    quick: z.object({ faults: z.array(z.string()).min(1).optional(), load: z.object({ before: durationSchema, after: durationSchema }).partial().strict().optional() }).strict().default({}),
  })
  .strict()
  .superRefine((definition, context) => {
    const names = definition.faults.map((f) => f.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) context.addIssue({ code: 'custom', path: ['faults', i, 'name'], message: `"${name}" is used twice` });
    });
    for (const [i, name] of (definition.quick.faults ?? []).entries()) {
      if (!names.includes(name)) context.addIssue({ code: 'custom', path: ['quick', 'faults', i], message: `"${name}" names no fault` });
    }
  });

export type FaultsExperiment = Omit<z.infer<typeof definitionSchema>, 'quick'> & { source: string; quick: boolean };
export type FaultEntry = FaultsExperiment['faults'][number];
export type Fault = FaultEntry['fault'];

/** How long a fault lasts (0 for a kill: the fault is the moment; the restart is recovery). */
export function faultDurationMs(fault: Fault): number {
  return fault.action === 'kill' ? 0 : fault.duration;
}

/** The definition file of a name or path, when it is a faults experiment ("kind": "faults"); else undefined. */
export function faultsDefinitionFile(nameOrFile: string): string | undefined {
  const file = findDefinitionFile(nameOrFile);
  if (!file) return undefined;
  const raw = readDefinitionFile(file);
  return raw !== null && typeof raw === 'object' && (raw as { kind?: unknown }).kind === 'faults' ? file : undefined;
}

export function loadFaultsExperiment(file: string, options: { quick?: boolean } = {}): FaultsExperiment {
  const result = definitionSchema.safeParse(readDefinitionFile(file));
  if (!result.success) {
    throw new ExperimentDefinitionError(
      file,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`),
    );
  }
  const { quick, ...definition } = result.data;
  if (!options.quick) return { ...definition, source: file, quick: false };
  return {
    ...definition,
    source: file,
    quick: true,
    load: { ...definition.load, ...(quick.load ?? {}) },
    faults: quick.faults ? definition.faults.filter((f) => quick.faults?.includes(f.name)) : definition.faults,
  };
}
