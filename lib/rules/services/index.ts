/** The services whose documented NSG requirements nsgwatch checks, one file each. */
import { apiManagement } from './api-management.js';
import { applicationGateway } from './application-gateway.js';
import { bastion } from './bastion.js';
import { databricks } from './databricks.js';
import { domainServices } from './domain-services.js';
import { kubernetes } from './kubernetes.js';
import { sqlManagedInstance } from './sql-managed-instance.js';
import type { ServiceRequirements } from './types.js';

export type { ServiceContext, ServiceRequirements } from './types.js';
export { apiManagement, applicationGateway, bastion, databricks, domainServices, kubernetes, sqlManagedInstance };

export const SERVICE_REQUIREMENTS: readonly ServiceRequirements[] = [applicationGateway, apiManagement, sqlManagedInstance, databricks, domainServices, kubernetes, bastion];
