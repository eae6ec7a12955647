"""A household's own page: approval, skills, what it will consider, children at home,
and the proposals naming it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import DbSession
from api.pages.web import FinderPage, error_page, render
from api.services.households import household_view
from matching.errors import NotFoundError

router = APIRouter(include_in_schema=False)


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household_page(
    request: Request, session: DbSession, actor: FinderPage, household_id: str
) -> HTMLResponse:
    try:
        view = household_view(session, actor, household_id)
    except NotFoundError:
        return error_page(
            request, actor, 404, "Household not found", f"There is no household {household_id}."
        )
    household = view.household
    return render(
        request,
        "household.html",
        actor,
        title=f"{household.name or household.household_id} ({household.household_id})",
        household=household,
        proposals=view.proposals,
        back=request.query_params.get("child"),
    )
