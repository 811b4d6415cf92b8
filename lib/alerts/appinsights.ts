import type { AlertSink, MetricsRecorder } from './types.js';

export type AppInsightsSinkOptions = {
  /** `InstrumentationKey=...;IngestionEndpoint=...` (APPLICATIONINSIGHTS_CONNECTION_STRING). */
  connectionString: string;
  /** Cloud role name shown in Application Insights (default `nsgwatch`). */
  roleName?: string;
};

export type AppInsightsSink = AlertSink & MetricsRecorder & { flush(): Promise<void>; shutdown(): Promise<void> };

export function createAppInsightsSink(options: AppInsightsSinkOptions): AppInsightsSink {
  void options;
  throw new Error('createAppInsightsSink: not implemented yet');
}
