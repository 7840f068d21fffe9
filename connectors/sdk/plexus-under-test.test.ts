import { describe, expect, it } from 'vitest';
import { type PlexusUnderTest, providePlexus, startPlexus } from './plexus-under-test.ts';

describe('startPlexus', () => {
  it('says where a Plexus comes from when no setup provided one, then starts the provided one with the settings given', async () => {
    expect(() => startPlexus()).toThrow(/no Plexus to start here.*server\/src\/test-plexus-setup\.ts/);
    const seen: unknown[] = [];
    providePlexus(async (settings) => {
      seen.push(settings);
      return { marker: 'provided' } as unknown as PlexusUnderTest;
    });
    const px = await startPlexus({ egress: { allow: ['127.0.0.1'] } });
    expect(px).toEqual({ marker: 'provided' });
    expect(seen).toEqual([{ egress: { allow: ['127.0.0.1'] } }]);
  });
});
