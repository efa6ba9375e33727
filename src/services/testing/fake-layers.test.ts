// The in-memory fake passes the layer store conformance suite (no root needed). The real
// adapter runs the same suite in test/conformance-layers.test.ts.
import { FakeLayerDisk, FakeLayers } from './fake-layers.ts';
import { layerStoreConformance } from './layers-conformance.ts';

layerStoreConformance('fake', async () => {
  const disk = new FakeLayerDisk();
  let n = 0;
  const h = {
    layers: new FakeLayers(disk),
    async restart() {
      h.layers = new FakeLayers(disk);
      return h.layers;
    },
    rwDir: async () => `/fake-containers/${++n}`,
    mount: async (mounts: Parameters<FakeLayers['view']>[0]) => h.layers.view(mounts),
    close: async () => {},
  };
  return h;
});
