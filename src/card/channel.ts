/**
 * The card channel as the card use cases name it; declared in its catalogue entry (src/channels/card.ts). The answer
 * stored with the commands payhub makes itself is the intake's (src/payments/handle-command.ts).
 */
export { CARD_CHANNEL, CARD_SOURCE, cardAcquirerClientOf, cardChannelProfile } from "../channels/card.ts";
export { INTERNAL_ANSWER } from "../payments/handle-command.ts";
