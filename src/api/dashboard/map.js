// The world map: land from the packaged Natural Earth atlas (world-atlas),
// drawn with d3-geo into SVG. No tiles, nothing from the network but our API.
const d3 = globalThis.d3;
const topojson = globalThis.topojson;
const NS = 'http://www.w3.org/2000/svg';
const W = 960;
const H = 520;
const KM_PER_DEGREE = 111.195;

export class WorldMap {
  constructor(svg, land, countries) {
    this.svg = svg;
    this.land = topojson.feature(land, land.objects.land);
    this.borders = topojson.mesh(countries, countries.objects.countries, (a, b) => a !== b);
    this.focus = null;
    this.data = { zones: [], tracks: new Map(), containers: [], alerts: [], selected: null };
    this.layoutKey = null;
  }

  projection() {
    const p = d3.geoNaturalEarth1();
    if (this.focus)
      p.fitExtent(
        [
          [20, 20],
          [W - 20, H - 20],
        ],
        this.focus,
      );
    else
      p.fitExtent(
        [
          [4, 4],
          [W - 4, H - 4],
        ],
        { type: 'Sphere' },
      );
    return p;
  }

  /** Zoom to a feature (the selected alert's track and place), or null for the world. */
  setFocus(feature) {
    this.focus = feature;
    this.layoutKey = null;
    this.render();
  }

  update(part) {
    Object.assign(this.data, part);
    this.render();
  }

  render() {
    const proj = this.projection();
    const path = d3.geoPath(proj);
    const key = JSON.stringify(proj.scale()) + JSON.stringify(proj.translate());
    if (key !== this.layoutKey) {
      // The base map only changes when the view does.
      this.layoutKey = key;
      fill(this.layer('sphere'), [el('path', { class: 'sphere', d: path({ type: 'Sphere' }) })]);
      fill(this.layer('land'), [el('path', { class: 'land', d: path(this.land) })]);
      fill(this.layer('borders'), [el('path', { class: 'borders', d: path(this.borders) })]);
    }
    fill(
      this.layer('zones'),
      this.data.zones.map((z) => el('path', { class: 'zone', d: path(zoneFeature(z)) || '', 'data-zone': z.name, 'data-trip': z.tripId }, [title(`${z.name} (${z.tripId})`)])),
    );
    const tracks = [];
    for (const [id, pts] of this.data.tracks) if (pts.length > 1) tracks.push(el('path', { class: 'track', d: path(line(pts)) || '', 'data-container': id, 'data-points': pts.length }));
    fill(this.layer('tracks'), tracks);
    const sel = this.data.selected;
    const selected = [];
    if (sel?.track.length) {
      selected.push(el('path', { id: 'selected-track', class: 'track-selected', d: path(line(sel.track)) || '', 'data-points': sel.track.length }));
      for (const f of sel.track) {
        const xy = proj([f.lon, f.lat]);
        if (xy) selected.push(el('circle', { class: 'fix', cx: xy[0], cy: xy[1], r: 1.8, 'data-at': f.at }, [title(`${f.at} ${f.lat.toFixed(3)}, ${f.lon.toFixed(3)}`)]));
      }
    }
    fill(this.layer('selected'), selected);
    fill(
      this.layer('containers'),
      this.data.containers
        .filter((c) => c.position)
        .map((c) => {
          const xy = proj([c.position.lon, c.position.lat]);
          return xy
            ? el('circle', { class: `container${c.openAlerts ? ' has-alerts' : ''}`, cx: xy[0], cy: xy[1], r: 4, 'data-container': c.containerId }, [
                title(`${c.containerId} ${c.tripId ?? ''}\n${c.position.at}\nopen alerts: ${c.openAlerts}`),
              ])
            : null;
        })
        .filter(Boolean),
    );
    fill(
      this.layer('alerts'),
      this.data.alerts
        .filter((a) => a.location && a.status !== 'closed')
        .map((a) => {
          const xy = proj([a.location.lon, a.location.lat]);
          if (!xy) return null;
          const s = 5;
          return el('path', { class: `alert-marker${sel && sel.alertId === a.alertId ? ' selected' : ''}`, d: `M${xy[0]},${xy[1] - s}L${xy[0] + s},${xy[1]}L${xy[0]},${xy[1] + s}L${xy[0] - s},${xy[1]}Z`, 'data-alert-id': a.alertId }, [
            title(`${a.rule} ${a.containerId}\n${a.summary}`),
          ]);
        })
        .filter(Boolean),
    );
  }

  layer(name) {
    return this.svg.querySelector(`#layer-${name}`);
  }
}

export function line(points) {
  return { type: 'LineString', coordinates: points.map((p) => [p.lon, p.lat]) };
}

/** A zone as GeoJSON in d3's winding (a ring covering more than half the globe is the wrong way round). */
export function zoneFeature(z) {
  if (z.kind === 'circle')
    return d3
      .geoCircle()
      .center([z.lon, z.lat])
      .radius(z.radiusKm / KM_PER_DEGREE)();
  const f = { type: 'Polygon', coordinates: [z.polygon.slice()] };
  if (d3.geoArea(f) > 2 * Math.PI) f.coordinates[0].reverse();
  return f;
}

export function el(name, attrs = {}, children = []) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

function title(text) {
  const t = document.createElementNS(NS, 'title');
  t.textContent = text;
  return t;
}

function fill(parent, children) {
  parent.replaceChildren(...children);
}
