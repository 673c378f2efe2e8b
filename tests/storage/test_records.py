"""Communities, identities, dedupe and the outbox on a real database."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.communities import (
    claim_link_code,
    create_community,
    create_link_code,
    find_members,
    get_community_by_invite,
    get_or_create_identity,
    join_community,
)
from storage.inbound import mark_processed, prune_processed
from storage.inbox import accept, mark_done, pending, prune_done
from storage.models import InboxMessage, Member, OutboxMessage, OutboxStatus
from storage.outbox import (
    claim_due,
    enqueue,
    mark_retry,
    mark_sent,
    mark_sent_many,
    release_stuck,
)

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _member(session: Session, address: str = "Siti", channel: str = "local") -> Member:
    community = get_community_by_invite(session=session, invite_code="kba13") or create_community(
        session=session,
        name="KBA 13 Ulu",
        invite_code="KBA13",
        timezone="Asia/Jakarta",
        language="id",
        now=NOW,
    )
    identity = get_or_create_identity(
        session=session, channel=channel, address=address, display_name=address, now=NOW
    )
    return join_community(
        session=session,
        identity=identity,
        community=community,
        display_name=address,
        language="id",
        phone=None,
        now=NOW,
    )


def test_times_come_back_aware_utc(engine: Engine) -> None:
    with Session(engine) as session:
        member = _member(session)
        session.commit()
        member_id = member.id
    with Session(engine) as session:
        loaded = session.get(Member, member_id)
        assert loaded is not None and loaded.consent_at == NOW
        assert loaded.consent_at.tzinfo is not None


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    with Session(engine) as session:
        member = _member(session)
        member.opted_out_at = datetime(2026, 1, 1)  # noqa: DTZ001
        session.add(member)
        with pytest.raises(Exception, match="aware"):
            session.commit()


def test_one_identity_per_channel_address(engine: Engine) -> None:
    with Session(engine) as session:
        get_or_create_identity(
            session=session, channel="telegram", address="1", display_name="a", now=NOW
        )
        session.commit()
        again = get_or_create_identity(
            session=session, channel="telegram", address="1", display_name="b", now=NOW
        )
        assert again.display_name == "a"


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(
            OutboxMessage(
                community_id=999,
                kind="notice",
                idempotency_key="x",
                next_attempt_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_inbound_ids_are_deduplicated_and_pruned(engine: Engine) -> None:
    with Session(engine) as session:
        assert mark_processed(session=session, channel="whatsapp", message_id="SM1", now=NOW)
        assert not mark_processed(session=session, channel="whatsapp", message_id="SM1", now=NOW)
        assert mark_processed(session=session, channel="telegram", message_id="SM1", now=NOW)
        session.commit()
        assert prune_processed(session=session, before=NOW + timedelta(seconds=1)) == 2


def test_inbox_rows_are_accepted_once_resumed_in_order_and_pruned_when_done(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        first = accept(
            session=session,
            channel="whatsapp",
            platform_id="SM1",
            sender="+62811",
            payload={"fields": {"body": "halo"}},
            now=NOW,
        )
        again = accept(
            session=session,
            channel="whatsapp",
            platform_id="SM1",
            sender="+62811",
            payload={},
            now=NOW,
        )
        second = accept(
            session=session, channel="telegram", platform_id="u7", sender="42", payload={}, now=NOW
        )
        session.commit()
        assert first is not None and again is None and second is not None
        assert [r.id for r in pending(session=session, limit=10)] == [first, second]
        assert [r.id for r in pending(session=session, limit=10, after_id=first)] == [second]
        row = session.get(InboxMessage, first)
        assert row is not None
        mark_done(session=session, row=row, now=NOW)
        session.commit()
        assert (row.payload, row.sender) == ({}, "")
        assert [r.id for r in pending(session=session, limit=10)] == [second]
        assert prune_done(session=session, before=NOW + timedelta(seconds=1)) == 1


def test_members_are_found_by_the_names_people_use(engine: Engine) -> None:
    with Session(engine) as session:
        siti = _member(session, "+6281234567890", "whatsapp")
        siti.business_name = "Keripik Bu Siti"
        budi = _member(session, "42", "telegram")
        identity = get_or_create_identity(
            session=session, channel="telegram", address="42", display_name="Budi", now=NOW
        )
        identity.username = "BudiJaya"
        session.flush()
        cid = siti.community_id

        def ids(name: str, phone: str | None = None) -> list[int | None]:
            return [
                m.id
                for m in find_members(session=session, community_id=cid, name=name, phone=phone)
            ]

        assert ids("x", phone="+6281234567890") == [siti.id]
        assert ids("keripik bu siti") == [siti.id]
        assert ids("@budijaya") == [budi.id]
        assert ids("42") == [budi.id]
        assert ids("nobody") == []
        budi.display_name = "Ömer Ärni"  # SQLite's lower() leaves Ö and Ä as they are
        session.flush()
        assert ids("Ömer Ärni") == [budi.id]


def test_link_codes_work_once(engine: Engine) -> None:
    with Session(engine) as session:
        member = _member(session)
        code = create_link_code(session=session, member_id=member.id or 0, now=NOW)
        assert claim_link_code(session=session, code=code.lower(), now=NOW) == member.id
        assert claim_link_code(session=session, code=code, now=NOW) is None


def test_outbox_is_idempotent_and_claims_due_rows(engine: Engine) -> None:
    with Session(engine) as session:
        member = _member(session)

        def add(key: str, not_before: datetime | None = None) -> bool:
            return enqueue(
                session=session,
                community_id=member.community_id,
                member_id=member.id,
                kind="notice",
                idempotency_key=key,
                payload={"text": "hai"},
                now=NOW,
                not_before=not_before,
            )

        assert add("digest:2026-W50:1")
        assert not add("digest:2026-W50:1")
        assert add("later", not_before=NOW + timedelta(hours=1))
        session.commit()
        rows = claim_due(session=session, now=NOW, limit=10)
        assert [r.idempotency_key for r in rows] == ["digest:2026-W50:1"]
        assert rows[0].status == OutboxStatus.SENDING and rows[0].attempts == 1
        assert claim_due(session=session, now=NOW, limit=10) == []
        mark_retry(
            session=session,
            row=rows[0],
            error="429",
            retry_at=NOW + timedelta(minutes=1),
            now=NOW,
            max_attempts=3,
        )
        assert rows[0].status == OutboxStatus.PENDING
        again = claim_due(session=session, now=NOW + timedelta(minutes=1), limit=10)
        assert mark_sent(session=session, row=again[0], channel="local", provider_id="p1", now=NOW)
        assert again[0].status == OutboxStatus.SENT
        gone = (again[0].id or 0) + 1000  # a row erased meanwhile: nothing to mark
        assert not mark_sent(session=session, row=gone, channel="local", provider_id="p", now=NOW)
        session.commit()
        session.expire_all()  # what the database holds, not what the session remembers
        stored = session.get(OutboxMessage, again[0].id)
        assert stored is not None and (stored.status, stored.attempts) == (OutboxStatus.SENT, 2)
        assert stored.provider_message_id == "p1"


def test_many_sent_rows_are_marked_at_once(engine: Engine) -> None:
    """A broadcast's answers: one executemany; a row erased meanwhile is not counted."""
    with Session(engine) as session:
        member = _member(session)
        for n in range(3):
            enqueue(
                session=session,
                community_id=member.community_id,
                member_id=member.id,
                kind="broadcast",
                payload={"text": f"pesan {n}"},
                idempotency_key=f"b:{n}",
                now=NOW,
            )
        session.commit()
        rows = claim_due(session=session, now=NOW, limit=10)
        sent = [(row.id or 0, "telegram", f"m{row.id}") for row in rows]
        gone = (rows[-1].id or 0) + 1000
        marked = mark_sent_many(session=session, sent=[*sent, (gone, "telegram", "x")], now=NOW)
        session.commit()
        assert marked == 3
        session.expire_all()
        for row_id, _, provider_id in sent:
            stored = session.get(OutboxMessage, row_id)
            assert stored is not None and stored.status == OutboxStatus.SENT
            assert (stored.channel, stored.provider_message_id) == ("telegram", provider_id)
            assert stored.sent_at == NOW
        assert mark_sent_many(session=session, sent=[], now=NOW) == 0


def test_rows_left_sending_by_a_crash_are_released(engine: Engine) -> None:
    with Session(engine) as session:
        member = _member(session)
        enqueue(
            session=session,
            community_id=member.community_id,
            member_id=member.id,
            kind="notice",
            idempotency_key="k",
            payload={},
            now=NOW,
        )
        claim_due(session=session, now=NOW, limit=1)
        session.commit()
        assert release_stuck(session=session, older_than=timedelta(minutes=10), now=NOW) == 0
        later = NOW + timedelta(minutes=11)
        assert release_stuck(session=session, older_than=timedelta(minutes=10), now=later) == 1
        session.commit()
        assert len(claim_due(session=session, now=later, limit=1)) == 1


def test_product_ids_are_never_reused(engine: Engine) -> None:
    from storage.models import Product

    with Session(engine) as session:
        member = _member(session)

        def add() -> int:
            product = Product(
                community_id=member.community_id,
                seller_id=member.id or 0,
                title="Keripik",
                created_at=NOW,
                updated_at=NOW,
                last_confirmed_at=NOW,
            )
            session.add(product)
            session.flush()
            assert product.id is not None
            return product.id

        first = add()
        session.delete(session.get(Product, first))
        session.flush()
        assert add() != first  # an old "#1" button can never point at a new product
