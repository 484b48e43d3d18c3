package otlp

import (
	"context"
	"testing"

	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
)

// TestProducerMatchesObservableInstruments pushes one store as ddiscope
// does (the producer, the encoder) and as the SDK would with an observable
// instrument for every catalog metric and its own OTLP exporters, and finds
// the same data points in both, as /metrics has them: the producer is a
// faster way to the same data.
func TestProducerMatchesObservableInstruments(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			ours, theirs := startReceiver(t, nil), startReceiver(t, nil)
			e := startExporter(t, testConfig(proto, ours), cat, store)
			sdkCfg := testConfig(proto, theirs)
			sdk := startSDK(t, sdkCfg, sdkExporter(t, sdkCfg), cat, store, e)
			scraped := scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))
			if err := sdk.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			fromSDK := pushed(t, cat, theirs.received(), cumulative)
			fromUs := pushed(t, cat, ours.received(), cumulative)
			samePoints(t, fromSDK, fromUs)
			samePoints(t, scraped, fromSDK)
		})
	}
}
