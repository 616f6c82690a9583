import { Transient } from '../core/errors.ts';

const TRANSIENT = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceException',
]);

/**
 * Maps an SDK error to what the workflow expects: throttling and 5xx become `Transient`, which every
 * Task retries with backoff; anything else passes through unchanged.
 */
export function mapAwsError(error: unknown, operation: string): unknown {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ?? 0;
  if ((e?.name && TRANSIENT.has(e.name)) || status >= 500 || status === 429) {
    return new Transient(`${operation}: ${e.name ?? 'error'}: ${e.message ?? ''}`.trim());
  }
  return error;
}

export async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapAwsError(error, operation);
  }
}
