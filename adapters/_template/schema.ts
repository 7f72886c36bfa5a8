import { z } from "zod";

/** The provider's request as it arrives. Rename to <Channel>Request. */
export const TemplateRequest = z.object({
  action: z.enum(["check", "pay"]),
  id: z.string().regex(/^[0-9A-Za-z-]{1,64}$/),
  account: z.string(),
  amount: z.string().optional(),
  sign: z.string().optional(),
});
export type TemplateRequest = z.infer<typeof TemplateRequest>;

/** The protocol's result codes, named. */
export const TemplateResult = { ok: 0, retryLater: 1, accountNotFound: 2, refused: 3, error: 99 } as const;
export type TemplateResultCode = (typeof TemplateResult)[keyof typeof TemplateResult];
