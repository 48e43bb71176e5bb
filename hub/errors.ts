/**
 * wasl's errors: one class, a stable code per kind, an HTTP status and a title in English and
 * Arabic. Every code is documented in docs/errors.md (test/hub/errors.test.ts checks it).
 * Texts never carry credentials or citizens' data: detail is written by wasl, not copied from input.
 */

export interface ErrorSpec {
  status: number;
  title: string;
  titleAr: string;
}

export const ERROR_CODES = {
  'invalid-json': { status: 400, title: 'The body is not valid JSON', titleAr: 'جسم الطلب ليس JSON صالحاً' },
  'body-too-large': { status: 413, title: 'The body is larger than allowed', titleAr: 'جسم الطلب أكبر من الحد المسموح' },
  'unsupported-media-type': { status: 415, title: 'The body must be application/json', titleAr: 'يجب أن يكون جسم الطلب بصيغة application/json' },
  'validation-failed': { status: 400, title: 'The request is invalid', titleAr: 'الطلب غير صالح' },
  'unknown-service': { status: 400, title: 'No such service in the catalogue', titleAr: 'الخدمة غير موجودة في الدليل' },
  'service-not-offered': { status: 422, title: 'The service is not offered this way', titleAr: 'الخدمة غير متاحة بهذه الطريقة' },
  'delivery-not-covered': { status: 422, title: 'The post does not deliver to this address', titleAr: 'البريد لا يوصل إلى هذا العنوان' },
  'receipt-not-found': { status: 404, title: 'The order has no receipt: it is not paid', titleAr: 'لا وصل لهذا الطلب: لم يُدفع بعد' },
  'callback-rejected': { status: 401, title: 'The callback is not signed by the provider', titleAr: 'الإشعار غير موقّع من المزوّد' },
  'idempotency-key-missing': { status: 400, title: 'The Idempotency-Key header is required', titleAr: 'ترويسة Idempotency-Key مطلوبة' },
  'idempotency-key-invalid': { status: 400, title: 'The Idempotency-Key header is malformed', titleAr: 'ترويسة Idempotency-Key غير صحيحة الصيغة' },
  'idempotency-key-reused': { status: 409, title: 'The Idempotency-Key was already used for another request', titleAr: 'سبق استخدام مفتاح عدم التكرار لطلب مختلف' },
  unauthenticated: { status: 401, title: 'A valid channel key is required', titleAr: 'مطلوب مفتاح قناة صالح' },
  'service-not-permitted': { status: 403, title: 'This channel may not submit this service', titleAr: 'لا يحق لهذه القناة تقديم هذه الخدمة' },
  forbidden: { status: 403, title: 'This channel may not see this', titleAr: 'لا يحق لهذه القناة الاطلاع على ذلك' },
  'order-not-found': { status: 404, title: 'No such order', titleAr: 'الطلب غير موجود' },
  'illegal-transition': { status: 409, title: 'The order cannot make this step from its current state', titleAr: 'لا يمكن للطلب الانتقال إلى هذه الحالة من حالته الحالية' },
  'rate-limited': { status: 429, title: 'Too many requests from this channel', titleAr: 'طلبات كثيرة جداً من هذه القناة' },
  'login-throttled': { status: 429, title: 'Too many failed logins from this client or for this user', titleAr: 'محاولات دخول فاشلة كثيرة من هذا العميل أو لهذا المستخدم' },
  'host-not-allowed': { status: 421, title: 'This hub does not answer to that host name', titleAr: 'لا تجيب المنصة على اسم المضيف هذا' },
  'cross-origin-refused': { status: 403, title: 'Requests that change something are not accepted from another site', titleAr: 'لا تُقبل من موقع آخر الطلبات التي تغيّر شيئاً' },
  'not-found': { status: 404, title: 'No such resource', titleAr: 'المورد غير موجود' },
  'not-ready': { status: 503, title: 'The hub is not ready', titleAr: 'المنصة غير جاهزة' },
  'service-not-certified': { status: 503, title: 'The service is not running: what it would run is not certified', titleAr: 'الخدمة لا تعمل: ما ستشغّله غير معتمد' },
  'callback-early': { status: 503, title: 'The order has not yet recorded the request this callback answers; send it again', titleAr: 'لم يسجّل الطلب بعد الطلب الذي يجيب عنه هذا الإشعار؛ أعد الإرسال' },
  'document-not-found': { status: 404, title: 'The order has no such document', titleAr: 'لا توجد وثيقة كهذه في الطلب' },
  'document-purged': { status: 410, title: "The document's retention is over: its content was deleted, its hash remains", titleAr: 'انتهت مدة الاحتفاظ بالوثيقة: حُذف محتواها وبقيت بصمتها' },
  'document-unreadable': { status: 500, title: 'The stored document cannot be read', titleAr: 'تعذّرت قراءة الوثيقة المحفوظة' },
  'link-invalid': { status: 404, title: 'Not a download link this hub issued', titleAr: 'ليس رابط تنزيل صادراً عن هذه المنصة' },
  'link-expired': { status: 410, title: 'The download link has expired', titleAr: 'انتهت صلاحية رابط التنزيل' },
  internal: { status: 500, title: 'Internal error', titleAr: 'خطأ داخلي' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  pointer: string;
  /** Which part of the request the pointer is into; the body when absent. */
  in?: 'body' | 'query' | 'path' | 'header';
  detail: string;
  detailAr?: string;
}

export interface WaslErrorOptions {
  detail?: string;
  detailAr?: string;
  errors?: FieldError[];
  /** Extension members of the problem document (RFC 9457 §3.2), e.g. currentStatus. */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class WaslError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly titleAr: string;
  readonly detail?: string;
  readonly detailAr?: string;
  readonly errors?: FieldError[];
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, opts: WaslErrorOptions = {}) {
    const spec: ErrorSpec = ERROR_CODES[code];
    super(opts.detail ?? spec.title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WaslError';
    this.code = code;
    this.status = spec.status;
    this.titleAr = spec.titleAr;
    this.detail = opts.detail;
    this.detailAr = opts.detailAr;
    this.errors = opts.errors;
    this.extra = opts.extra;
    this.headers = opts.headers;
  }

  get title(): string {
    return ERROR_CODES[this.code].title;
  }
}

export function isWaslError(err: unknown): err is WaslError {
  return err instanceof WaslError;
}
