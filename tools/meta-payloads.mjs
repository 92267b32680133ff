// Builders for WhatsApp Cloud API webhook bodies, in Meta's documented envelope: for tests that
// need many distinct messages and statuses rather than one fixture, the benchmarks, the Graph
// API emulator's status webhooks and the `npm start` demo.
export const PHONE_NUMBER_ID = "110200340056789";

/** One change of `field` with `value` (contacts, messages, statuses, message_echoes…). */
export function envelope(value, phoneNumberId = PHONE_NUMBER_ID, field = "messages") {
  return {
    object: "whatsapp_business_account",
    entry: [{
      id: "102290129340398",
      changes: [{
        field,
        value: {
          messaging_product: "whatsapp",
          metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId },
          ...value,
        },
      }],
    }],
  };
}

const seconds = (ms) => String(Math.floor(ms / 1000));

/** An inbound text message from `from` (digits), with a distinct wamid unless given. */
export function metaText({ from = "5511987654321", name = "Maria", id, body = "Oi", ts = Date.now(), phoneNumberId } = {}) {
  const wamid = id ?? `wamid.${from}.${ts}.${Math.random().toString(36).slice(2)}`;
  return envelope({
    contacts: [{ profile: { name }, wa_id: from }],
    messages: [{ from, id: wamid, timestamp: seconds(ts), type: "text", text: { body } }],
  }, phoneNumberId);
}

/** A delivery status for one of our outbound messages. */
export function metaStatus({ id, status, recipient = "5511987654321", ts = Date.now(), errors, phoneNumberId }) {
  const entry = { id, status, timestamp: seconds(ts), recipient_id: recipient };
  if (status !== "failed") {
    entry.conversation = { id: "CONVERSATION_ID", origin: { type: "service" } };
    entry.pricing = { billable: true, pricing_model: "CBP", category: "service" };
  }
  if (errors) entry.errors = errors;
  return envelope({ statuses: [entry] }, phoneNumberId);
}
