/** Schema errors as the problem document's `errors`: a JSON pointer and a text in English and Arabic. */
import { pointErrors } from '../contracts';
import type { ErrorObject } from 'ajv';
import type { FieldError } from './errors';

const ARABIC: Record<string, string> = {
  required: 'حقل مطلوب',
  additionalProperties: 'حقل غير مسموح به هنا',
  pattern: 'يحتوي محارف أو صيغة غير مسموحة',
  type: 'نوع القيمة غير صحيح',
  enum: 'القيمة ليست من القيم المسموحة',
  const: 'القيمة غير مسموحة',
  format: 'الصيغة غير صحيحة',
  minLength: 'النص أقصر من المسموح',
  maxLength: 'النص أطول من المسموح',
  minimum: 'القيمة أصغر من المسموح',
  maximum: 'القيمة أكبر من المسموح',
  minItems: 'عدد العناصر أقل من المسموح',
  maxItems: 'عدد العناصر أكثر من المسموح',
  discriminator: 'نوع غير معروف',
};

/** At most this many errors are reported: enough to fix a form, not a way to amplify a bad body. */
export const MAX_FIELD_ERRORS = 50;

export function fieldErrors(errors: ErrorObject[] | null | undefined, prefix = ''): FieldError[] {
  return pointErrors(errors, prefix)
    .slice(0, MAX_FIELD_ERRORS)
    .map((e) => ({ pointer: e.pointer, detail: e.message, detailAr: ARABIC[e.keyword] ?? 'قيمة غير صالحة' }));
}

export function fieldError(pointer: string, detail: string, detailAr: string): FieldError {
  return { pointer, detail, detailAr };
}
