import type { Transition } from '../store/types.js';
import type { Alerter, AlerterOptions, AlertSummary } from './types.js';

/** The dashboard page of one finding. */
export function findingLink(dashboardUrl: string, findingId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/?finding=${encodeURIComponent(findingId)}`;
}

export function summarize(transition: Transition, dashboardUrl?: string): AlertSummary {
  void transition;
  void dashboardUrl;
  throw new Error('summarize: not implemented yet');
}

export function createAlerter(options: AlerterOptions): Alerter {
  void options;
  throw new Error('createAlerter: not implemented yet');
}
