/* global ol, MapWidget */
// GridAtlas: GeoDjango's MapWidget (gis/js/OLMapWidget.js) over an offline base layer.
// Government intranets reach no tile server, so instead of tiles the map draws the street,
// community and grid outlines around the view, fetched as GeoJSON (EPSG:4326) from a staff-only
// view and reprojected to the map's EPSG:3857.
'use strict';
(function () {
    const COLOURS = {street: '#2f3e4e', community: '#5d7388', grid: '#9aa8b5'};
    const WIDTHS = {street: 2.5, community: 1.5, grid: 1};
    // Labels only where they fit (metres of EPSG:3857 per pixel).
    const LABEL_MAX_RESOLUTION = {street: 40, community: 8, grid: 2.5};
    const FONT = '12px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
    const styleCache = {};

    function outlineStyle(feature, resolution) {
        const kind = feature.get('kind') || 'grid';
        const labelled = resolution <= LABEL_MAX_RESOLUTION[kind];
        const key = kind + (labelled ? ':' + feature.getId() : '');
        if (!styleCache[key]) {
            styleCache[key] = new ol.style.Style({
                stroke: new ol.style.Stroke({
                    color: COLOURS[kind],
                    width: WIDTHS[kind],
                    lineDash: kind === 'grid' ? [4, 4] : undefined
                }),
                text: labelled ? new ol.style.Text({
                    text: kind === 'grid' ? feature.get('name') + ' ' + feature.get('code').slice(-3)
                        : feature.get('name'),
                    font: kind === 'street' ? 'bold ' + FONT : FONT,
                    fill: new ol.style.Fill({color: COLOURS[kind]}),
                    stroke: new ol.style.Stroke({color: '#f6f4ee', width: 3}),
                    overflow: kind !== 'grid'
                }) : undefined,
                zIndex: {street: 3, community: 2, grid: 1}[kind]
            });
        }
        return styleCache[key];
    }

    function clamp(v, lo, hi) {
        return Math.min(Math.max(v, lo), hi);
    }

    // Keeps the outline layer in step with the view: one request per pan or zoom, the last wins.
    function followView(map, source, url) {
        const format = new ol.format.GeoJSON();
        let latest = 0;
        let lastQuery = null;
        function refresh() {
            const view = map.getView();
            const size = map.getSize();
            if (!size) {
                return;
            }
            const extent = view.calculateExtent(size);
            // A margin of half a screen, so a short pan needs no new request to look complete.
            const wider = ol.extent.buffer(extent, ol.extent.getWidth(extent) / 2);
            const ll = ol.proj.transformExtent(wider, view.getProjection(), 'EPSG:4326');
            const bbox = [clamp(ll[0], -180, 180), clamp(ll[1], -85, 85),
                clamp(ll[2], -180, 180), clamp(ll[3], -85, 85)];
            const query = 'bbox=' + bbox.map(function (v) { return v.toFixed(6); }).join(',') +
                '&resolution=' + view.getResolution().toFixed(3);
            if (query === lastQuery) {
                return;
            }
            lastQuery = query;
            const ticket = ++latest;
            fetch(url + '?' + query, {credentials: 'same-origin',
                headers: {Accept: 'application/geo+json'}})
                .then(function (response) {
                    if (!response.ok) {
                        throw new Error('HTTP ' + response.status);
                    }
                    return response.json();
                })
                .then(function (collection) {
                    if (ticket !== latest) {
                        return;  // a later view asked since; its answer will draw
                    }
                    source.clear(true);
                    source.addFeatures(format.readFeatures(collection,
                        {featureProjection: view.getProjection()}));
                    map.getTargetElement().dataset.outlines = String(collection.features.length);
                })
                .catch(function (err) {
                    lastQuery = null;
                    console.error('GridAtlas: outlines could not be loaded: ' + err.message);
                });
        }
        // OpenLayers fires no moveend for the first frame (it has no previous frame to compare),
        // and with no tiles loading nothing renders a second one: so load once after the first.
        map.once('postrender', refresh);
        map.on('moveend', refresh);
    }

    // Builds GeoDjango's MapWidget with the outline layer as its base layer.
    // `extra`: {outlinesUrl, readonly}; readonly switches drawing and modifying off.
    function create(options, extra) {
        const source = new ol.source.Vector();
        // declutter: labels that would overlap are left out rather than drawn on each other.
        options.base_layer = new ol.layer.Vector({source: source, style: outlineStyle,
            declutter: true});
        const widget = new MapWidget(options);
        widget.map.addControl(new ol.control.ScaleLine());
        if (extra.readonly) {
            widget.interactions.draw.setActive(false);
            widget.interactions.modify.setActive(false);
            widget.enableDrawing = function () {};
        }
        followView(widget.map, source, extra.outlinesUrl);
        return widget;
    }

    window.GridAtlasMap = {create: create};

    // Each widget's options come as a JSON block (layers/widgets/offline_map.html): the page's
    // Content-Security-Policy runs no inline script. GeoDjango's global (geodjango_<field>) is
    // kept for scripts and tests that reach the widget.
    function createAll() {
        document.querySelectorAll('script.ga-map-options').forEach(function (node) {
            if (node.dataset.done) {
                return;
            }
            node.dataset.done = '1';
            const spec = JSON.parse(node.textContent);
            window[spec.module] = create(spec.options, spec.extra);
        });
    }
    if (document.readyState === 'loading') {
        document.addEventListener('DOMContentLoaded', createAll);
    } else {
        createAll();
    }
}());
