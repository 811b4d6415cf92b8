import { attachmentsOfNsg } from '../estate/relations.js';
import { serviceOwningNsg } from '../estate/services.js';
import { fillRemediation, findingOn } from '../verdicts/describe.js';
import type { Finding } from '../verdicts/finding.js';
import { DOCS } from './support/remediation.js';
import type { Rule, RuleMeta } from './support/types.js';

const meta: RuleMeta = {
  id: 'NSG-012',
  title: 'NSG associated with nothing',
  severity: 'info',
  category: 'hygiene',
  description:
    'Fires for an NSG that no subnet or network interface in the estate uses and that lists no association itself. NSGs assembled from standalone rule resources only are not judged (their associations are unknown), nor an NSG a service owns (AKS\'s node-pool NSG).',
  rationale:
    'An unassociated NSG protects nothing; it is clutter at best, and at worst someone believes a resource is protected by it. Associate it where it was meant to apply, or delete it.',
  remediation: {
    az: 'az network nsg delete --resource-group <resource-group> --name <nsg-name>',
    bicep: '// Remove the networkSecurityGroups resource <nsg-name> from the template, or reference it from the subnet or NIC it was meant for',
  },
  references: [DOCS.nsgOverview],
};

export const rule: Rule = {
  meta,
  evaluate(view) {
    const findings: Finding[] = [];
    // An NSG that input which failed validation may name is not known to be associated with nothing.
    const partial = view.partiallyJudged();
    for (const resource of view.wantedNsgs()) {
      if (resource.partial || !view.nsg(resource.key) || partial.has(resource.key)) continue;
      // A service's own NSG (AKS's node-pool NSG) is associated by the service as its nodes come and go.
      if (serviceOwningNsg(view.estate, resource.id)) continue;
      if (attachmentsOfNsg(view.relations, resource.id).some((p) => p.kind !== 'unattached')) continue;
      findings.push(
        findingOn(meta, resource, {
          message: `NSG ${resource.name} is associated with no subnet and no network interface: its rules protect nothing`,
          evidence: { attachments: [] },
          remediation: fillRemediation(meta.remediation, { nsgId: resource.id }),
        }),
      );
    }
    return findings;
  },
};
