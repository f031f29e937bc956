"""Plan limits count rows by table name (billing sits below the concepts it limits); the names
must stay those of the tables the models define."""

from tocsin.accounts.models import Membership
from tocsin.billing.limits import COUNTED, Resource
from tocsin.contacts.models import Contact
from tocsin.endpoints.models import Endpoint


def test_each_limited_resource_is_counted_in_its_models_table() -> None:
    assert {resource: rows.name for resource, rows in COUNTED.items()} == {
        Resource.ENDPOINTS: Endpoint.__tablename__,
        Resource.CONTACTS: Contact.__tablename__,
        Resource.MEMBERS: Membership.__tablename__,
    }
