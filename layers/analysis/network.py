"""Walking distances along the road network: station coverage in network mode (docs/design.md).

    d = walking_distances(building_ids=ids, max_distance_m=1000.0)
    d.distance_m[k], d.station_id[k]   # building ids[k]: metres on foot to its nearest station

How, in the city's metric CRS (`geo.srid.metric_srid()`, metres):
1. The walkable roads are noded (split wherever two lines cross or touch, snap-rounded to 1 cm so
   a line ending a hair off another still meets it) into edges between junctions and ends; an
   edge weighs its length.
2. A building (a point inside its footprint) or a station steps straight onto the nearest point
   of the nearest edge, if that is within GRIDATLAS_ROAD_SNAP_MAX_M; farther, it is off the
   network (unreachable). The step counts in the distance.
3. One multi-source Dijkstra from every station (networkx, cut off at max_distance_m) gives each
   junction its nearest station; a building takes the better end of its edge, or a station on
   the same edge directly.

The loading is one SQL file per statement (`sql/roads_*.sql`); the steps are pure functions on
shapely and NumPy arrays. Bridges are just roads: a river is crossed where a road crosses it.
"""

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from django.conf import settings
from django.db import connection

from geo.errors import BadRequest
from geo.sql import sql_text
from geo.srid import metric_srid

SQL_DIR = Path(__file__).resolve().parent / "sql"
NO_ROADS = "no road network loaded: python manage.py load_roads FILE"
NODE_GRID_M = 0.01  # junctions are matched on a 1 cm grid


@dataclass(frozen=True)
class NetworkDistances:
    """Aligned arrays, one entry per building asked for, in the order asked.

    distance_m: float64 metres on foot (np.inf: no station within max_distance_m, the building
        is off the network, or it is not in the database). station_id: int64, -1 when none.
    """

    building_id: np.ndarray
    distance_m: np.ndarray
    station_id: np.ndarray


@dataclass(frozen=True)
class RoadGraph:
    """The noded network: graph nodes 0..n-1 are junctions and ends; edge k of the arrays joins
    edge_u[k] to edge_v[k] along the line edges[k] (metres, metric CRS)."""

    graph: nx.Graph
    n_nodes: int
    edges: np.ndarray  # shapely LineStrings
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    tree: shapely.STRtree


@dataclass(frozen=True)
class Snapped:
    """Where points step onto the network: edge index (-1: farther than the maximum), the
    distance along that edge from its start edge_u, and the straight step onto it (metres)."""

    edge: np.ndarray
    along_m: np.ndarray
    step_m: np.ndarray


def roads_loaded() -> bool:
    """Is there a walkable road to walk on?"""
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM layers_road WHERE walkable)")
        return cur.fetchone()[0]


def walking_distances(
    *, building_ids: np.ndarray, station_ids: np.ndarray | None = None, max_distance_m: float
) -> NetworkDistances:
    """The walk from each building to its nearest station (all stations when station_ids is
    None), along the walkable roads, up to max_distance_m metres.

    Raises BadRequest when no road network is loaded.
    """
    building_ids = np.asarray(building_ids, dtype=np.int64)
    network = road_graph()
    max_step_m = float(settings.GRIDATLAS_ROAD_SNAP_MAX_M)
    b_id, b_xy = _points("roads_building_points.sql", building_ids)
    s_id, s_xy = _points(
        "roads_station_points.sql", None if station_ids is None else np.asarray(station_ids)
    )
    dist, station = nearest_station_walk(
        network=network,
        buildings=points_snap(network, b_xy, max_step_m=max_step_m),
        stations=points_snap(network, s_xy, max_step_m=max_step_m),
        station_ids=s_id,
        max_distance_m=float(max_distance_m),
    )
    # Back to the order asked for (the SQL returns ids sorted); ids the database does not have
    # stay unreachable.
    out_d = np.full(len(building_ids), np.inf)
    out_s = np.full(len(building_ids), -1, dtype=np.int64)
    rows = np.minimum(np.searchsorted(b_id, building_ids), max(len(b_id) - 1, 0))
    found = b_id[rows] == building_ids if len(b_id) else np.zeros(len(building_ids), bool)
    out_d[found] = dist[rows[found]]
    out_s[found] = station[rows[found]]
    return NetworkDistances(building_id=building_ids, distance_m=out_d, station_id=out_s)


# --- loading (selectors) ------------------------------------------------------------------------


def walkable_lines() -> np.ndarray:
    """Every walkable road line in the metric CRS, as shapely (Multi)LineStrings."""
    return shapely.from_wkb(_walkable_wkb())


def _walkable_wkb() -> list[bytes]:
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / "roads_walkable.sql"), {"metric_srid": metric_srid()})
        return [bytes(r[0]) for r in cur.fetchall()]


_graph_lock = threading.Lock()
_graph_cache: dict[str, RoadGraph] = {}


def road_graph() -> RoadGraph:
    """The graph of the walkable roads as they are now. Building it is most of a call's time
    (2.5 s for the city), so the last one is kept per process and reused while the roads' WKB
    hashes the same: any change to the roads, by any path, builds it anew.

    Raises BadRequest when there is no walkable road.
    """
    wkb = _walkable_wkb()
    if not wkb:
        raise BadRequest(NO_ROADS)
    digest = hashlib.sha256()
    for w in wkb:
        digest.update(len(w).to_bytes(8, "little"))
        digest.update(w)
    key = digest.hexdigest()
    with _graph_lock:
        if key in _graph_cache:
            return _graph_cache[key]
    network = graph_build(shapely.from_wkb(wkb))
    with _graph_lock:
        _graph_cache.clear()  # one city's graph at a time (about 75 MB for the whole city)
        _graph_cache[key] = network
    return network


def _points(sql_file: str, ids: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(ids, n×2 metric coordinates) of the buildings or stations asked for (None: all)."""
    params = {"metric_srid": metric_srid(), "ids": None if ids is None else ids.tolist()}
    with connection.cursor() as cur:
        cur.execute(sql_text(SQL_DIR / sql_file), params)
        rows = cur.fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 2))
    arr = np.array(rows, dtype=float)
    return arr[:, 0].astype(np.int64), arr[:, 1:3]


# --- pure steps ---------------------------------------------------------------------------------


def graph_build(lines: np.ndarray) -> RoadGraph:
    """Node the lines and make the graph (lengths in the lines' units, metres here)."""
    noded = shapely.union_all(lines, grid_size=NODE_GRID_M)
    edges = shapely.get_parts(shapely.get_parts(noded))
    edges = edges[shapely.get_type_id(edges) == shapely.GeometryType.LINESTRING.value]
    length = shapely.length(edges)
    edges, length = edges[length > 0], length[length > 0]
    ends = np.concatenate(
        [
            shapely.get_coordinates(shapely.get_point(edges, 0)),
            shapely.get_coordinates(shapely.get_point(edges, -1)),
        ]
    )
    # Snap-rounded coordinates are whole multiples of the grid, so equal junctions are equal
    # integers here (a float comparison could split one junction in two).
    keys = np.rint(ends / NODE_GRID_M).astype(np.int64)
    _, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    u, v = node[: len(edges)], node[len(edges) :]
    n_nodes = int(node.max()) + 1 if len(node) else 0
    graph = nx.Graph()
    graph.add_nodes_from(range(n_nodes))
    # Two edges can join the same pair of junctions: the graph keeps the last one added, so add
    # the longest first and the shortest wins.
    order = np.argsort(-length, kind="stable")
    graph.add_weighted_edges_from(
        (int(a), int(b), float(w))
        for a, b, w in zip(u[order], v[order], length[order], strict=True)
        if a != b
    )
    return RoadGraph(
        graph=graph,
        n_nodes=n_nodes,
        edges=edges,
        edge_u=u,
        edge_v=v,
        edge_length_m=length,
        tree=shapely.STRtree(edges),
    )


def points_snap(network: RoadGraph, xy: np.ndarray, *, max_step_m: float) -> Snapped:
    """Each point's nearest edge within max_step_m (ties: the lowest edge index, so the answer
    does not depend on the tree's order)."""
    n = len(xy)
    edge = np.full(n, -1, dtype=np.int64)
    along = np.zeros(n)
    step = np.full(n, np.inf)
    if n == 0 or len(network.edges) == 0:
        return Snapped(edge=edge, along_m=along, step_m=step)
    pts = shapely.points(xy)
    (pi, ei), dist = network.tree.query_nearest(
        pts, max_distance=max_step_m, return_distance=True, all_matches=True
    )
    order = np.lexsort((ei, pi))  # per point, its lowest edge index first
    pi, ei, dist = pi[order], ei[order], dist[order]
    first = np.r_[True, pi[1:] != pi[:-1]]
    pi, ei, dist = pi[first], ei[first], dist[first]
    edge[pi] = ei
    step[pi] = dist
    along[pi] = shapely.line_locate_point(network.edges[ei], pts[pi])
    return Snapped(edge=edge, along_m=along, step_m=step)


def nearest_station_walk(
    *,
    network: RoadGraph,
    buildings: Snapped,
    stations: Snapped,
    station_ids: np.ndarray,
    max_distance_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(distance_m, station_id) per snapped building: np.inf and -1 beyond max_distance_m."""
    node_d, node_s = _junction_walk(network, stations, station_ids, max_distance_m)
    e = buildings.edge
    on = e >= 0
    eu, ev = network.edge_u[e[on]], network.edge_v[e[on]]
    t, length = buildings.along_m[on], network.edge_length_m[e[on]]
    via_u, via_v = node_d[eu] + t, node_d[ev] + (length - t)
    use_v = via_v < via_u
    dist = np.full(len(e), np.inf)
    station = np.full(len(e), -1, dtype=np.int64)
    dist[on] = np.where(use_v, via_v, via_u) + buildings.step_m[on]
    station[on] = np.where(use_v, node_s[ev], node_s[eu])
    _same_edge_walk(buildings, stations, station_ids, dist, station)
    beyond = dist > max_distance_m
    dist[beyond], station[beyond] = np.inf, -1
    return dist, station


def _junction_walk(
    network: RoadGraph, stations: Snapped, station_ids: np.ndarray, max_distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every junction's walk to its nearest station (np.inf beyond the cutoff) and that station.

    Each snapped station becomes a node of its own, tied to both ends of its edge by the walk to
    them (step + along the edge), and Dijkstra starts from all of them at once. The station
    nodes are added to the shared (cached) graph and removed afterwards, under a lock: copying
    the city's graph would cost more than the search.
    """
    graph = network.graph
    n = network.n_nodes
    ties = {}
    for k in np.flatnonzero(stations.edge >= 0):
        e = stations.edge[k]
        to_u = float(stations.step_m[k] + stations.along_m[k])
        to_v = float(stations.step_m[k] + network.edge_length_m[e] - stations.along_m[k])
        u, v = int(network.edge_u[e]), int(network.edge_v[e])
        # On a closed ring (u == v) the shorter way round reaches its one junction.
        ties[n + int(k)] = {u: min(to_u, to_v) if u == v else to_u} | ({v: to_v} if v != u else {})
    node_d = np.full(n, np.inf)
    node_s = np.full(n, -1, dtype=np.int64)
    if not ties:
        return node_d, node_s
    with _graph_lock:
        try:
            graph.add_weighted_edges_from(
                (node, junction, w) for node, tie in ties.items() for junction, w in tie.items()
            )
            lengths = nx.multi_source_dijkstra_path_length(graph, list(ties), cutoff=max_distance_m)
            labels = _station_labels(graph, lengths, n=n, station_ids=station_ids)
        finally:
            graph.remove_nodes_from(list(ties))
    for node, d in lengths.items():
        if node < n:
            node_d[node] = d
            node_s[node] = labels[node]
    return node_d, node_s


def _station_labels(graph: nx.Graph, lengths: dict, *, n: int, station_ids: np.ndarray) -> dict:
    """Which station each reached node's shortest walk starts from. In increasing distance, a
    node takes the label of the neighbour its distance came through: Dijkstra set it to exactly
    that neighbour's distance plus the edge, so the float sums match (the closest sum is taken,
    should rounding ever differ)."""
    label: dict[int, int] = {}
    for node in sorted(lengths, key=lambda x: (lengths[x], x < n)):
        if node >= n:
            label[node] = int(station_ids[node - n])
            continue
        d, best, best_err = lengths[node], -1, np.inf
        for nb, attrs in graph.adj[node].items():
            if nb in label:
                err = abs(lengths[nb] + attrs["weight"] - d)
                if err < best_err:
                    best, best_err = label[nb], err
                    if err == 0:
                        break
        label[node] = best
    return label


def _same_edge_walk(
    buildings: Snapped,
    stations: Snapped,
    station_ids: np.ndarray,
    dist: np.ndarray,
    station: np.ndarray,
) -> None:
    """A building and a station on the same edge walk straight along it, not via a junction."""
    by_edge: dict[int, list[int]] = {}
    for k in np.flatnonzero(stations.edge >= 0):
        by_edge.setdefault(int(stations.edge[k]), []).append(int(k))
    if not by_edge:
        return
    shared = np.flatnonzero(np.isin(buildings.edge, list(by_edge)))
    for b in shared:
        for k in by_edge[int(buildings.edge[b])]:
            d = (
                buildings.step_m[b]
                + abs(buildings.along_m[b] - stations.along_m[k])
                + stations.step_m[k]
            )
            if d < dist[b]:
                dist[b], station[b] = d, int(station_ids[k])
