/**
 * ECharts for the tracking screens: the app's tree-shaken build (src/ui/charts/echarts.ts) plus the
 * parallel-coordinates and heatmap charts and the visual map. Loaded lazily, in its own chunk.
 */
import { use } from 'echarts/core';
import { HeatmapChart, ParallelChart } from 'echarts/charts';
import { ParallelComponent, VisualMapComponent } from 'echarts/components';
import { init } from '../../charts/echarts.ts';

use([ParallelChart, HeatmapChart, ParallelComponent, VisualMapComponent]);

export { init };
