from .boundaries import Community, District, GeomSource, Grid, LoadStatus, MicroGrid, Parcel, Street
from .jobs import Job, JobFile
from .layouts import LayoutDraft, LayoutRevision, LayoutRevisionGrid, PlannerStreet
from .residential import Address, Building, CompoundAlias, Xiaoqu
from .roads import Road
from .service import Pairing, SentDownUnit, ServiceStation, Worker

__all__ = [
    "Address",
    "Building",
    "Community",
    "CompoundAlias",
    "District",
    "GeomSource",
    "Job",
    "JobFile",
    "LayoutDraft",
    "LayoutRevision",
    "LayoutRevisionGrid",
    "PlannerStreet",
    "Grid",
    "LoadStatus",
    "MicroGrid",
    "Pairing",
    "Parcel",
    "Road",
    "SentDownUnit",
    "ServiceStation",
    "Street",
    "Worker",
    "Xiaoqu",
]
