// The API's errors, as the gateway sends them: {code, status, message,
// details}, where a BadRequest detail names each wrong field by its proto
// path ("member.national_id"). The console shows each message beside the
// field it names, and the rest at the top of the form.

export interface FieldViolation {
  field?: string;
  description?: string;
}

export interface ApiErrorBody {
  code?: number;
  status?: string;
  message?: string;
  details?: Array<{ '@type'?: string; fieldViolations?: FieldViolation[]; reason?: string }>;
}

export interface FormErrors {
  /** The message for the form as a whole. */
  message: string;
  /** Messages by the form's field name (lowerCamel, last path segment). */
  fields: Record<string, string>;
  /** HTTP status, 0 when the request never got an answer. */
  httpStatus: number;
  /** The service's reason for a refusal (ErrorInfo), such as VENUE_TAKEN. */
  reason?: string;
}

/** lowerCamel turns a proto field path's last segment into the JSON name. */
export function fieldName(path: string): string {
  const last = path.split('.').pop() ?? path;
  return last.replace(/\[\d+\]$/, '').replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** formErrors reads an API error into messages by field. */
export function formErrors(httpStatus: number, body: unknown): FormErrors {
  const b = (body ?? {}) as ApiErrorBody;
  const out: FormErrors = { message: b.message ?? '', fields: {}, httpStatus };
  for (const d of b.details ?? []) {
    if (d.reason && !out.reason) out.reason = d.reason;
    for (const v of d.fieldViolations ?? []) {
      if (!v.field) continue;
      const name = fieldName(v.field);
      const msg = v.description ?? '';
      out.fields[name] = out.fields[name] ? `${out.fields[name]}；${msg}` : msg;
    }
  }
  return out;
}

/** errorOf turns whatever a call threw into FormErrors. */
export async function errorOf(e: unknown): Promise<FormErrors> {
  if (e && typeof e === 'object' && 'status' in e && typeof (e as Response).status === 'number') {
    const r = e as Response & { error?: unknown };
    let body = r.error;
    if (body == null || body instanceof Error) {
      try {
        body = await r.clone().json();
      } catch {
        body = {};
      }
    }
    return formErrors(r.status, body);
  }
  return { message: e instanceof Error ? e.message : String(e), fields: {}, httpStatus: 0 };
}
