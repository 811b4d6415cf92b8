/**
 * Service tags whose addresses only Microsoft operates, for one service's control plane: a rule
 * letting them in is how the service is run, not an exposure to the Internet (DESIGN §3). The
 * table is data with a reason and a source per tag; a regional form (`HDInsight.WestEurope`,
 * `ApiManagement.westeurope`) is the same tag scoped to a region. These tags still match as
 * Azure matches them (the Internet tag contains them); only "is the Internet side broad?" leaves
 * them out, the same way with the weekly file (their prefixes) and without it (their names).
 */

export interface PlatformTag {
  /** The tag as Azure spells it. */
  readonly tag: string;
  /** The service whose control plane uses these addresses. */
  readonly service: string;
  /** Why the addresses are not "the Internet" for exposure. */
  readonly reason: string;
  /** The Microsoft document that says so. */
  readonly source: string;
}

export const PLATFORM_TAGS: readonly PlatformTag[] = [
  {
    tag: 'GatewayManager',
    service: 'VPN Gateway, Application Gateway, Azure Bastion',
    reason: 'management traffic for dedicated gateway deployments; Microsoft operates every address',
    source: 'https://learn.microsoft.com/azure/virtual-network/service-tags-overview',
  },
  {
    tag: 'AzureDatabricks',
    service: 'Azure Databricks',
    reason: 'the Databricks control plane, secure cluster connectivity relay and web application',
    source: 'https://learn.microsoft.com/azure/databricks/resources/ip-domain-region',
  },
  {
    tag: 'HDInsight',
    service: 'Azure HDInsight',
    reason: 'HDInsight health and management services, which must reach the cluster nodes inbound',
    source: 'https://learn.microsoft.com/azure/hdinsight/hdinsight-management-ip-addresses',
  },
  {
    tag: 'ApiManagement',
    service: 'Azure API Management',
    reason: 'the management endpoint for the Azure portal and PowerShell (TCP 3443 into the instance subnet)',
    source: 'https://learn.microsoft.com/azure/api-management/virtual-network-reference',
  },
  {
    tag: 'AzureActiveDirectoryDomainServices',
    service: 'Microsoft Entra Domain Services',
    reason: 'management of the managed domain controllers (WinRM 5986 inbound)',
    source: 'https://learn.microsoft.com/entra/identity/domain-services/network-considerations',
  },
  {
    tag: 'CorpNetSaw',
    service: 'Microsoft Entra Domain Services',
    reason: "Microsoft's secure admin workstations troubleshooting the managed domain (RDP 3389); not in the public tags file",
    source: 'https://learn.microsoft.com/entra/identity/domain-services/network-considerations',
  },
  {
    tag: 'BatchNodeManagement',
    service: 'Azure Batch',
    reason: 'the Batch service managing pool nodes deployed in a virtual network',
    source: 'https://learn.microsoft.com/azure/batch/batch-virtual-network',
  },
  {
    tag: 'SqlManagement',
    service: 'Azure SQL Managed Instance',
    reason: 'management traffic for dedicated SQL deployments',
    source: 'https://learn.microsoft.com/azure/virtual-network/service-tags-overview',
  },
  {
    tag: 'AppServiceManagement',
    service: 'App Service Environment',
    reason: 'management traffic for App Service Environment deployments',
    source: 'https://learn.microsoft.com/azure/virtual-network/service-tags-overview',
  },
];

const BY_KEY = new Map(PLATFORM_TAGS.map((t) => [t.tag.toLowerCase(), t]));

/** The table entry for a tag name or its regional form (case-insensitive), if it has one. */
export function platformTag(name: string): PlatformTag | undefined {
  const key = name.trim().toLowerCase();
  const dot = key.indexOf('.');
  return BY_KEY.get(dot < 0 ? key : key.slice(0, dot));
}
