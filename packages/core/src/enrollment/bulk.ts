import { assertMayGrant, assignableRole, authorizeForUpdate } from '../authorization/access'
import { createInvitationSchema } from '../invitations/schemas'
import { deliver, type IssuedInvitation, issue, pendingInvitation, toView } from '../invitations/service'
import type { Context } from '../runtime/context'
import { mutate } from '../runtime/unit-of-work'
import { type ErrorCode, type ErrorDetail, isOrgkitError, notFound, OrgkitError } from '../shared/errors'
import type { Actor, InvitationRecord } from '../shared/types'
import { parseInput } from '../shared/validate'
import { enrollmentRules } from './rules'
import { type BulkCreateInvitationsInput, bulkCreateInvitationsSchema } from './schemas'

/** One item of a bulk invitation, answered on its own: the invitation, or why not. */
export interface BulkInvitationResult {
  /** The email as given (normalized when it was one), `null` when the item had none. */
  email: string | null
  invitation?: IssuedInvitation
  error?: { code: ErrorCode; message: string; details?: ErrorDetail[] }
}

/** An item that passed every check, waiting to be written. */
interface Planned {
  index: number
  record: InvitationRecord
  secret: { token: string; tokenHash: string; acceptUrl: string }
}

function itemError(error: unknown, index: number): NonNullable<BulkInvitationResult['error']> {
  if (!isOrgkitError(error) || error.code === 'internal') throw error
  const details = error.details?.map((detail) => ({ ...detail, path: `invitations.${index}.${detail.path}` }))
  return { code: error.code, message: error.message, ...(details === undefined ? {} : { details }) }
}

/**
 * Up to 100 invitations in one transaction, under the organization's lock. Each item is
 * checked as `invitations.create` checks one (a valid email, a role the caller may grant,
 * the organization's teams, not a member, no pending invitation, not twice in the batch) and
 * answered on its own. `limits.pendingInvitationsPerOrganization` is checked for the batch:
 * when the items that would be created do not all fit, none is (409 `limit_exceeded`). The
 * host's `send` is called once per created invitation, after the commit.
 */
export async function bulkCreateInvitations(
  ctx: Context,
  actor: Actor,
  ref: string,
  input: BulkCreateInvitationsInput,
): Promise<BulkInvitationResult[]> {
  const { invitations: items } = parseInput(bulkCreateInvitationsSchema, input)
  const invitedBy = actor.type === 'user' ? actor.userId : actor.type === 'apiKey' ? actor.createdBy : null
  if (invitedBy === null) {
    throw new OrgkitError('forbidden', 'An invitation needs an inviter: call this as a user, e.g. orgkit.as(user).')
  }
  const limit = ctx.options.limits?.pendingInvitationsPerOrganization
  const { results, planned, inviterName } = await mutate(ctx, actor, async ({ tx, now, record }) => {
    const access = await authorizeForUpdate(ctx, tx, actor, ref, enrollmentRules.bulkCreateInvitations)
    const { organization } = access
    if (organization.type === 'personal') {
      throw new OrgkitError('conflict', 'A personal organization takes no invitations.')
    }
    const results: BulkInvitationResult[] = items.map((item) => {
      const email = (item as { email?: unknown } | null)?.email
      return { email: typeof email === 'string' ? email : null }
    })
    const planned: Planned[] = []
    const emails = new Set<string>()
    let inviterName: string | null = null
    for (const [index, item] of items.entries()) {
      const result = results[index] as BulkInvitationResult
      try {
        const data = parseInput(createInvitationSchema, item)
        result.email = data.email
        const role = assignableRole(access.roles, data.role ?? ctx.defaultRole)
        assertMayGrant(access, role)
        const teamIds = [...new Set(data.teamIds ?? [])]
        if ((await tx.teams.findMany(organization.id, teamIds)).length !== teamIds.length) {
          throw notFound('Team not found.')
        }
        const { isMember, inviter } = await tx.members.findInvitee(organization.id, data.email, invitedBy)
        inviterName = inviter?.username ?? null
        if (isMember) throw new OrgkitError('conflict', 'This person is already a member.')
        // Checked last, as a pending invitation is for one invitation alone, and counting only
        // items that pass: an earlier item refused for its own reason invites nobody.
        if (emails.has(data.email)) throw new OrgkitError('conflict', 'This email is in the batch twice.')
        emails.add(data.email)
        const secret = issue(ctx)
        planned.push({
          index,
          secret,
          record: pendingInvitation(ctx, {
            organizationId: organization.id,
            email: data.email,
            role: role.key,
            teamIds,
            tokenHash: secret.tokenHash,
            invitedBy,
            now,
          }),
        })
      } catch (error) {
        result.error = itemError(error, index)
      }
    }
    // The limit, for the batch at once, under the lock: all that would be created fit, or none is.
    if (limit !== undefined && planned.length > 0) {
      const pending = await tx.invitations.countPending(organization.id, now)
      if (pending + planned.length > limit) {
        throw new OrgkitError(
          'limit_exceeded',
          `This organization can have at most ${limit} pending invitations; ${pending} are pending and this batch adds ${planned.length}.`,
        )
      }
    }
    const created: Planned[] = []
    for (const plan of planned) {
      if ((await tx.invitations.insert(plan.record, now)) === 'duplicate') {
        ;(results[plan.index] as BulkInvitationResult).error = {
          code: 'conflict',
          message: 'A pending invitation for this email already exists.',
        }
        continue
      }
      created.push(plan)
      await record({
        organizationId: organization.id,
        action: 'invitation.created',
        target: { type: 'invitation', id: plan.record.id },
        changes: {
          email: plan.record.email,
          role: plan.record.role,
          ...(plan.record.teamIds.length > 0 ? { teamIds: plan.record.teamIds } : {}),
        },
      })
    }
    return { results, planned: created, inviterName }
  })
  // After the commit: one delivery per created invitation, each failure reported on its own.
  for (const plan of planned) {
    await deliver(ctx, plan.record, plan.secret.token, plan.secret.acceptUrl)
    ;(results[plan.index] as BulkInvitationResult).invitation = {
      ...toView(plan.record, plan.record.createdAt, inviterName),
      token: plan.secret.token,
      acceptUrl: plan.secret.acceptUrl,
    }
  }
  return results
}

/** What enrollment adds to `orgkit.as(actor).invitations`. */
export function bulkInvitationsApi(ctx: Context, actor: Actor) {
  return {
    /**
     * Invites 1 to 100 emails in one transaction; each item is answered on its own, with the
     * invitation (and its token, this once) or the error it would have had alone. Needs
     * `invitations.create`.
     */
    bulkCreate: (org: string, input: BulkCreateInvitationsInput): Promise<BulkInvitationResult[]> =>
      bulkCreateInvitations(ctx, actor, org, input),
  }
}
