// A mis-sent payment's transfer (the subscriber handbook §2.7): the payer paid into someone else's existing account
// and brings the receipt; one member of staff files the request with it, another (a supervisor or admin, never the
// maker) approves or rejects it. Approval moves the money in one posting; an approved transfer can be reversed as a
// unit. Every step is audited in its own transaction.
//
// How much may move: what is left of the payment = its amount − what the provider gave back or the desk cancelled
// (payment_reversal) − transfers of it approved and not reversed. Filing also counts the requests still pending, so
// open requests never promise more than is left; approval re-checks what is left with the payment row locked.
//
// One use case a file (file-, approve-, reject-, reverse-transfer.ts); the rows they lock and in which order in
// transfer-locks.ts; the posting a decision makes in post-movement.ts; the read model in transfer-view.ts; the payment
// lookups and figures in payments.ts. This module is what the API and the console import.

export { approveTransfer } from "./approve-transfer.ts";
export { fileTransfer, type FileTransferInput } from "./file-transfer.ts";
export { rejectTransfer } from "./reject-transfer.ts";
export { reverseTransfer } from "./reverse-transfer.ts";
export { evidenceFile, getTransfer, listTransfers, transfersOfPayment, type EvidenceMeta, type StaffRef, type TransferView } from "./transfer-view.ts";
