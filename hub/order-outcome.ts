/**
 * What an order ends with, besides its status: the result data its service declares
 * (service.json `result`, order.results.data) and, when the provider refused it, the refusal as
 * the citizen reads it (order.rejection).
 *
 * - Result data: the service's `result.schema` is compiled with the catalogue (bounded: an object
 *   that closes its properties, at most MAX_RESULT_SCHEMA_BYTES written out, patterns in linear
 *   time); a flow's result data is checked against it — and against MAX_RESULT_BYTES — before the
 *   step that carries it is stored. Data a service does not declare is refused. The data may hold
 *   citizens' data: nothing here logs it, and errors name JSON pointers, never values.
 * - Refusals: the message is the service's override for the provider and reason
 *   (service.json `refusals`), else the message of the provider's error rule that made the
 *   refusal, else a default that names the reason.
 */
import type { ValidateFunction } from "../contracts";
import type {
  Order,
  Receipt,
  ReceiptResult,
  Rejection,
  ServiceDefinition,
  Text,
} from "../contracts/types";
import type { FieldError } from "./errors";
import { fieldError, fieldErrors } from "./field-errors";
import { statedAmount } from "./money";

/** Result data, written out as JSON, at most this many bytes. */
export const MAX_RESULT_BYTES = 16 * 1024;
/** A service's result schema, written out as JSON, at most this many bytes. */
export const MAX_RESULT_SCHEMA_BYTES = 16 * 1024;

/** What the catalogue keeps of a service to check its result data. */
export interface ResultChecker {
  definition: ServiceDefinition;
  validateResult?: ValidateFunction;
}

export type ResultCheck =
  | { ok: true }
  | {
      ok: false;
      code: "result-undeclared" | "result-too-large" | "result-mismatch";
      errors: FieldError[];
    };

/** Checks a flow's result data against its service's declaration (`service` undefined: a service the hub does not know). */
export function checkResultData(
  service: ResultChecker | undefined,
  data: unknown,
): ResultCheck {
  if (!service?.validateResult) {
    return {
      ok: false,
      code: "result-undeclared",
      errors: [
        fieldError(
          "/results/data",
          "the service declares no result data (service.json result)",
          "الخدمة لا تصرّح ببيانات نتيجة",
        ),
      ],
    };
  }
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(data) ?? "", "utf8");
  } catch {
    bytes = Infinity;
  }
  if (bytes > MAX_RESULT_BYTES) {
    return {
      ok: false,
      code: "result-too-large",
      errors: [
        fieldError(
          "/results/data",
          `is larger than ${MAX_RESULT_BYTES} bytes`,
          "بيانات النتيجة أكبر من المسموح",
        ),
      ],
    };
  }
  if (!service.validateResult(data))
    return {
      ok: false,
      code: "result-mismatch",
      errors: fieldErrors(service.validateResult.errors, "/results/data"),
    };
  return { ok: true };
}

/** A business refusal as wasl-call hands it on (msg.wasl.error: the journaled failure's safe fields). */
export interface RefusalFacts {
  provider?: unknown;
  reason?: unknown;
  providerCode?: unknown;
  /** The provider's error rule's message, when it has one. */
  text?: unknown;
}

const REASON = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function isText(v: unknown): v is Text {
  const t = v as Text | undefined;
  return (
    typeof t === "object" &&
    t !== null &&
    typeof t.ar === "string" &&
    typeof t.en === "string"
  );
}

/** The message when neither the service nor the provider's rule gives one. */
export function defaultRefusalMessage(reason: string): Text {
  return {
    ar: `رفضت الوزارة الطلب (الرمز: ${reason})`,
    en: `The ministry refused the request (code: ${reason})`,
  };
}

/** The order's rejection for a provider's refusal: the service's message, the rule's, or the default. */
export function rejectionFor(
  definition: Pick<ServiceDefinition, "provider" | "refusals"> | undefined,
  refusal: RefusalFacts,
): Rejection {
  const reason =
    typeof refusal.reason === "string" && REASON.test(refusal.reason)
      ? refusal.reason
      : "refused";
  const provider =
    typeof refusal.provider === "string" && refusal.provider !== ""
      ? refusal.provider.slice(0, 64)
      : (definition?.provider.code ?? "unknown");
  const override = definition?.refusals?.find(
    (r) =>
      r.reason === reason &&
      (r.provider ?? definition.provider.code) === provider,
  )?.message;
  const message =
    override ??
    (isText(refusal.text)
      ? { ar: refusal.text.ar, en: refusal.text.en }
      : defaultRefusalMessage(reason));
  const rejection: Rejection = { reason, provider, message };
  if (typeof refusal.providerCode === "string" && refusal.providerCode !== "")
    rejection.providerCode = refusal.providerCode.slice(0, 64);
  return rejection;
}

/**
 * The labels of the result's fields, in the order the service's schema declares them (a store may
 * keep the data's members in another order: PostgreSQL's jsonb does): the service's label, else
 * the field's name in both languages.
 */
export function resultLabels(
  data: Record<string, unknown>,
  definition: Pick<ServiceDefinition, "result"> | undefined,
): Record<string, Text> {
  const declared = definition?.result?.labels ?? {};
  const order = Object.keys(
    (definition?.result?.schema.properties ?? {}) as Record<string, unknown>,
  );
  const keys = [
    ...order.filter((k) => Object.hasOwn(data, k)),
    ...Object.keys(data).filter((k) => !order.includes(k)),
  ];
  const labels: Record<string, Text> = {};
  for (const key of keys)
    labels[key] = Object.hasOwn(declared, key)
      ? declared[key]!
      : { ar: key, en: key };
  return labels;
}

export const OUTCOME_LABELS = {
  result: { ar: "نتيجة الطلب", en: "Result" },
  rejection: { ar: "سبب الرفض", en: "Reason for refusal" },
} as const;

/** The receipt as GET /v1/orders/{id}/receipt shows it: the payment receipt, with the order's result or refusal once it has one. */
export function receiptWithOutcome(
  receipt: Receipt,
  order: Order,
  definition: Pick<ServiceDefinition, "result"> | undefined,
): Receipt {
  const data = order.results.data;
  // The sum in minor units under its own name, and written out: also on a
  // receipt issued before they were stored with it.
  const sum = receipt.amountMinor ?? receipt.amount;
  const stated =
    Number.isInteger(sum) && /^[A-Z]{3}$/.test(receipt.currency ?? "")
      ? statedAmount(sum, receipt.currency)
      : {};
  if (!data && !order.rejection) return { ...receipt, ...stated };
  const out: Receipt = {
    ...receipt,
    ...stated,
    labels: { ...receipt.labels },
  };
  if (data) {
    const result: ReceiptResult = {
      data,
      labels: resultLabels(data, definition),
    };
    out.result = result;
    out.labels.result = OUTCOME_LABELS.result;
  }
  if (order.rejection) {
    out.rejection = order.rejection;
    out.labels.rejection = OUTCOME_LABELS.rejection;
  }
  return out;
}
