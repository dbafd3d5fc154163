import { describe, expect, it } from 'vitest';
import { naturalCompare } from './paths';

describe('naturalCompare', () => {
  it('orders digit runs numerically', () => {
    expect(['frame10.jpg', 'frame2.jpg', 'Frame1.jpg', 'frame000003.jpg'].sort(naturalCompare)).toEqual([
      'Frame1.jpg',
      'frame2.jpg',
      'frame000003.jpg',
      'frame10.jpg',
    ]);
  });
});
