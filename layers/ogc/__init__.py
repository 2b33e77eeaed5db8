"""OGC API Features (read-only): every layer of `layers.io.columns` as a collection, for QGIS,
ArcGIS and GDAL (`ogrinfo OAPIF:http://host/ogc`)."""
