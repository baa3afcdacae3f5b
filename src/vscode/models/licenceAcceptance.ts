/**
 * Accepting a model licence for "auto" (core/models/licenceOffer.ts says which pick waits on one):
 * the licence's terms are named with a link, and "Accept" adds its id to localCode.acceptedLicences
 * (user settings). Nothing is accepted without that click.
 */
import * as vscode from "vscode";
import type { LicenceOffer } from "../../core/models/licenceOffer";

export const ACCEPTED_LICENCES_KEY = "acceptedLicences";

/** The Select Model row for an offer. */
export function licenceOfferItem(offer: LicenceOffer): vscode.QuickPickItem {
  return {
    label: `$(law) Accept the ${offer.licenceId} licence…`,
    description: `auto would then pick ${offer.displayName}${offer.quant ? ` ${offer.quant}` : ""}`,
    detail: `${offer.displayName} needs it accepted first (localCode.acceptedLicences)${offer.note ? `: ${offer.note}` : ""}`,
  };
}

/**
 * Asks (modal) and, on "Accept", adds the licence id to the user setting. "Read the Licence" opens
 * the model's page and asks again. True when the id is in the setting afterwards.
 */
export async function acceptLicence(offer: LicenceOffer): Promise<boolean> {
  const accept = `Accept ${offer.licenceId}`;
  const read = "Read the Licence";
  for (;;) {
    const choice = await vscode.window.showInformationMessage(
      `${offer.displayName} is under the "${offer.licenceId}" licence.`,
      {
        modal: true,
        detail: `${offer.note ?? "Read its terms before use."}\n\nAccepting adds "${offer.licenceId}" to localCode.acceptedLicences, so auto may pick it: ${offer.message}`,
      },
      accept,
      read,
    );
    if (choice === read) {
      await vscode.env.openExternal(vscode.Uri.parse(offer.url));
      continue;
    }
    if (choice !== accept) return false;
    await addAcceptedLicence(offer.licenceId);
    return true;
  }
}

export async function addAcceptedLicence(id: string): Promise<void> {
  const config = vscode.workspace.getConfiguration("localCode");
  const now = config.inspect<string[]>(ACCEPTED_LICENCES_KEY)?.globalValue ?? [];
  if (now.includes(id)) return;
  await config.update(ACCEPTED_LICENCES_KEY, [...now, id], vscode.ConfigurationTarget.Global);
}
